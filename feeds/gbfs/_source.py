"""Finding and reading the JSON files of one GBFS system: auto-discovery, language, versions.

A source is a ``gbfs.json`` URL or path (auto-discovery), or a folder of JSON files with
or without ``gbfs.json``. The result is one `RawFile` per feed read, with its header
(version, last_updated, ttl) checked, keyed by the v3.0 feed name (``free_bike_status``
is filed under ``vehicle_status``).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import pandas as pd

from maasmix.errors import (
    FeedFormatError,
    FeedMissingError,
    FeedVersionError,
    FeedWarning,
)
from maasmix.feeds import limits as feed_limits
from maasmix.feeds._http import fetch_bytes, is_url
from maasmix.feeds.bounds import check_json_containers
from maasmix.feeds.gbfs._values import parse_timestamp
from maasmix.feeds.gtfs._read import usable_path

#: Feeds this loader reads, by v3.0 name, and the file names they are published under.
FEEDS: dict[str, tuple[str, ...]] = {
    "system_information": ("system_information",),
    "station_information": ("station_information",),
    "station_status": ("station_status",),
    "vehicle_status": ("vehicle_status", "free_bike_status"),
    "vehicle_types": ("vehicle_types",),
    "system_pricing_plans": ("system_pricing_plans",),
    "geofencing_zones": ("geofencing_zones",),
}
_CANONICAL = {alias: name for name, aliases in FEEDS.items() for alias in aliases}
_VERSION = re.compile(r"^(\d+)\.(\d+)(-RC\d*)?$")


def gbfs_folder(folder: Path) -> str | None:
    """How `load_gbfs` reads a local folder: ``"gbfs"`` (it holds ``gbfs.json`` or
    ``system_information.json``), ``"stations-only"`` (``station_information.json``
    alone, without any status file: stations without live status, read with a
    FeedWarning), None (not a GBFS folder). The one detection behind both
    `maasmix.feeds.gbfs.load_gbfs` and `maasmix.feeds.inspect.detect_kind`."""
    if not folder.is_dir():
        return None
    if (folder / "gbfs.json").is_file() or (folder / "system_information.json").is_file():
        return "gbfs"
    status = ("station_status", "vehicle_status", "free_bike_status")
    if (folder / "station_information.json").is_file() and not any(
        (folder / f"{name}.json").is_file() for name in status
    ):
        return "stations-only"
    return None


@dataclass(frozen=True)
class RawFile:
    """One GBFS JSON file as read.

    ``name`` is the feed name as published (``free_bike_status``), ``source`` the path or
    URL read, ``version`` the file's ``version`` field (None in GBFS 1.0),
    ``last_updated`` a UTC Timestamp, ``ttl_s`` seconds, ``data`` the ``data`` object.
    """

    name: str
    source: str
    version: str | None
    last_updated: pd.Timestamp
    ttl_s: int
    data: dict[str, Any]


@dataclass(frozen=True)
class Discovered:
    """What a source holds: the dataset version, the feeds read, the gbfs.json languages."""

    version: str
    files: dict[str, RawFile]
    discovery: RawFile | None
    feed_languages: tuple[str, ...]
    feed_language: str | None


#: Longest ``ttl`` kept, seconds (one year); a longer one is cut to it, with a warning.
MAX_TTL_S = 365 * 86400


def parse_json(body: bytes, source: str) -> Any:
    """Parse ``body``; invalid JSON raises FeedFormatError with the line; a BOM is warned."""
    if body.startswith(b"\xef\xbb\xbf"):
        warnings.warn(f"{source}: UTF-8 byte-order mark removed", FeedWarning, stacklevel=2)
        body = body[3:]
    check_json_containers(body, source)
    try:
        return json.loads(body.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise FeedFormatError(f"invalid JSON: {exc.msg}", file=source, row=exc.lineno) from exc
    except UnicodeDecodeError as exc:
        raise FeedFormatError(f"not UTF-8: {exc}", file=source) from exc
    except RecursionError:
        raise FeedFormatError("invalid JSON: nested too deeply", file=source) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise FeedFormatError(f"invalid JSON: {str(exc)[:100]}", file=source) from None


def _read_bytes(location: str) -> bytes:
    """The bytes of a GBFS file or URL, within the feed limits (`maasmix.feeds.limits`)."""
    cap = feed_limits.current().max_json_bytes
    if is_url(location):
        # the fetch policy also covers the URLs listed in a fetched gbfs.json
        body = fetch_bytes(location, max_bytes=cap)
    else:
        path = usable_path(location)
        if not path.is_file():
            raise FeedMissingError("file not found", file=location)
        try:
            with path.open("rb") as handle:
                body = handle.read(cap + 1)
        except OSError as exc:
            raise FeedFormatError(
                f"cannot be read ({exc.strerror or exc})", file=location
            ) from None
    if len(body) > cap:
        raise FeedFormatError(f"larger than {cap} bytes (feed limit max_json_bytes)", file=location)
    return body


def read_file(location: str, name: str) -> RawFile:
    """Read one GBFS file; check its header: ``last_updated``, ``ttl``, ``version``, ``data``."""
    doc = parse_json(_read_bytes(location), location)
    if not isinstance(doc, dict):
        raise FeedFormatError("expected a JSON object at the top level", file=location)
    data = doc.get("data")
    if not isinstance(data, dict):
        raise FeedFormatError("'data' object is missing", file=location, field="data")
    version = doc.get("version")
    if version is not None and not (isinstance(version, str) and _VERSION.match(version)):
        raise FeedFormatError(
            f"version {version!r} is not of the form MAJOR.MINOR", file=location, field="version"
        )
    if "last_updated" not in doc:
        raise FeedMissingError("'last_updated' is missing", file=location, field="last_updated")
    last_updated = parse_timestamp(doc["last_updated"], file=location, field="last_updated")
    ttl = doc.get("ttl")
    if (
        isinstance(ttl, bool)
        or not isinstance(ttl, int | float)
        or not math.isfinite(ttl)
        or ttl < 0
    ):
        raise FeedFormatError(
            f"'ttl' must be a non-negative integer, got {str(ttl)[:40]}", file=location, field="ttl"
        )
    if ttl > MAX_TTL_S:
        warnings.warn(
            f"{location}: ttl {str(ttl)[:40]} s cut to {MAX_TTL_S} s (one year)",
            FeedWarning,
            stacklevel=2,
        )
        ttl = MAX_TTL_S
    return RawFile(name, location, version, last_updated, int(ttl), data)


def major(version: str) -> int:
    """The MAJOR number of a GBFS version string."""
    match = _VERSION.match(version)
    return int(match.group(1)) if match else 1


def discover(source: str | Path, language: str | None) -> Discovered:
    """Locate and read the feeds of ``source`` (see the module docstring)."""
    text = str(source)
    if is_url(text):
        return _from_gbfs_json(text, language, local_dir=None)
    path = usable_path(text)  # a NUL or an over-long name: FeedMissingError, not OSError
    if path.is_dir():
        if (path / "gbfs.json").is_file():
            return _from_gbfs_json(str(path / "gbfs.json"), language, local_dir=path)
        return _from_folder(path)
    if path.is_file():
        return _from_gbfs_json(str(path), language, local_dir=path.parent)
    raise FeedMissingError("no such file, folder or URL", file=text)


def _from_folder(folder: Path) -> Discovered:
    files: dict[str, RawFile] = {}
    for name, aliases in FEEDS.items():
        for alias in aliases:
            candidate = folder / f"{alias}.json"
            if candidate.is_file():
                files[name] = read_file(str(candidate), alias)
                break
    if "system_information" not in files:
        raise FeedMissingError(
            "required file system_information.json not found",
            file=str(folder / "system_information.json"),
        )
    announced = files["system_information"].version
    if announced is None:
        announced = next((f.version for f in files.values() if f.version is not None), None)
    version = announced or "1.0"
    _check_versions(files, version, str(folder))
    return Discovered(version, files, None, (), None)


def _feed_list(
    gbfs: RawFile, language: str | None
) -> tuple[list[Any], str, tuple[str, ...], str | None]:
    """The ``feeds`` array of gbfs.json, its JSON path, the languages offered and chosen."""
    data = gbfs.data
    if isinstance(data.get("feeds"), list):  # v3.0: one list, strings are localized inside
        return data["feeds"], "data.feeds", (), None
    offered = tuple(k for k, v in data.items() if isinstance(v, dict))
    if not offered:
        raise FeedFormatError(
            "gbfs.json has neither data.feeds nor data.<language>.feeds",
            file=gbfs.source,
            field="data",
        )
    if language is not None and language not in offered:
        raise FeedMissingError(
            f"language {language!r} is not published; available: {', '.join(offered)}",
            file=gbfs.source,
            field=f"data.{language}",
        )
    chosen = language or ("en" if "en" in offered else offered[0])
    feeds = data[chosen].get("feeds")
    if not isinstance(feeds, list):
        raise FeedFormatError(
            "expected an array of feeds", file=gbfs.source, field=f"data.{chosen}.feeds"
        )
    return feeds, f"data.{chosen}.feeds", offered, chosen


def _from_gbfs_json(location: str, language: str | None, local_dir: Path | None) -> Discovered:
    gbfs = read_file(location, "gbfs")
    feeds, array, offered, chosen = _feed_list(gbfs, language)
    listed: dict[str, tuple[str, str, int]] = {}  # canonical -> (published name, url, index)
    for i, feed in enumerate(feeds):
        if not isinstance(feed, dict) or not isinstance(feed.get("url"), str):
            raise FeedFormatError(
                "expected an object with 'name' and 'url'",
                file=location,
                row=i,
                field=f"{array}[{i}]",
            )
        name = str(feed.get("name", ""))
        canonical = _CANONICAL.get(name)
        if canonical is not None and canonical not in listed:
            listed[canonical] = (name, feed["url"], i)

    files: dict[str, RawFile] = {}
    for canonical, (name, url, i) in listed.items():
        target = _resolve(url, name, location, local_dir)
        try:
            files[canonical] = read_file(target, name)
        except FeedMissingError as exc:
            if canonical in ("system_information", "station_information"):
                raise FeedMissingError(
                    f"required feed {name} listed at {array}[{i}] cannot be read: {exc.message}",
                    file=target,
                    field=exc.field,
                ) from exc
            warnings.warn(
                f"{target}: optional feed {name} listed in gbfs.json cannot be read "
                f"({exc.message}); left out",
                FeedWarning,
                stacklevel=3,
            )
    if "system_information" not in files:
        files["system_information"] = _unlisted_system_information(location, local_dir)
    version = gbfs.version or "1.0"
    _check_versions(files, version, location)
    return Discovered(version, files, gbfs, offered, chosen)


def _unlisted_system_information(location: str, local_dir: Path | None) -> RawFile:
    """gbfs.json lists no system_information (a real quirk): read the file beside it."""
    sibling = (
        str(local_dir / "system_information.json")
        if local_dir is not None
        else urljoin(location, "system_information.json")
    )
    try:
        raw = read_file(sibling, "system_information")
    except FeedMissingError as exc:
        raise FeedMissingError(
            "required feed system_information is not listed in gbfs.json and "
            f"{sibling} cannot be read ({exc.message})",
            file=location,
            field="data",
        ) from exc
    warnings.warn(
        f"{location}: gbfs.json does not list the required system_information feed; "
        f"read {sibling} beside it",
        FeedWarning,
        stacklevel=4,
    )
    return raw


def _resolve(url: str, name: str, gbfs_location: str, local_dir: Path | None) -> str:
    """Where to read a feed listed in gbfs.json.

    From a URL gbfs.json: the URL, resolved against gbfs.json's. From a local gbfs.json:
    a relative path next to it, an existing absolute ``file:`` path, else the listed file
    name (with ``.json`` added when the URL has no suffix, then ``<name>.json``) in
    gbfs.json's folder, as published feeds often list http or foreign ``file:`` URLs.
    """
    if local_dir is None:
        return urljoin(gbfs_location, url)
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        raw_path = unquote(parsed.path) if parsed.scheme == "file" else url
        candidate = Path(raw_path) if Path(raw_path).is_absolute() else local_dir / raw_path
        if candidate.is_file():
            return str(candidate)
    base = Path(unquote(parsed.path)).name
    for candidate_name in (base, f"{base}.json", f"{name}.json"):
        if candidate_name and (local_dir / candidate_name).is_file():
            return str(local_dir / candidate_name)
    return str(local_dir / (base if base.endswith(".json") else f"{name}.json"))


def _check_versions(files: dict[str, RawFile], version: str, announced_by: str) -> None:
    """Each file's version must have the dataset's MAJOR; another MINOR is warned."""
    for raw in files.values():
        if raw.version is None:
            if major(version) >= 2:
                warnings.warn(
                    f"{raw.source}: no version field in a GBFS {version} dataset; "
                    f"read as {version}",
                    FeedWarning,
                    stacklevel=4,
                )
            continue
        if major(raw.version) != major(version):
            raise FeedVersionError(
                f"GBFS {raw.version} file in a GBFS {version} dataset "
                f"(announced by {announced_by})",
                file=raw.source,
                field="version",
            )
        if raw.version != version:
            warnings.warn(
                f"{raw.source}: GBFS {raw.version} file in a GBFS {version} dataset "
                "(minor versions are compatible; read as is)",
                FeedWarning,
                stacklevel=4,
            )


__all__ = ["FEEDS", "Discovered", "RawFile", "discover", "major", "parse_json"]
