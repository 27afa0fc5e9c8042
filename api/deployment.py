"""Deployment files of ``maasmix serve --deployment FILE``: what a server loads and how it
serves it.

A YAML mapping validated against the shipped JSON Schema
(``maasmix/api/schema/deployment.schema.json``, `SCHEMA_PATH`)::

    networks:                        # by name; the first is the default of /v1/plan
      helsinki:
        gtfs:                        # a path or URL, or a list; each may carry options
          - source: gtfs-helsinki-hsl/helsinki_hsl_gtfs_2022-02.zip
            fare_contains: subset    # Fares v1 contains_id reading (HSL needs subset)
            id_prefix: hsl           # with several feeds: this feed's id prefix
        osm: osm-helsinki/Helsinki.osm.pbf        # optional: crow-fly streets without it
        gbfs:                                     # optional: folders, gbfs.json or URLs
          - source: gbfs-helsinki-hsl
            max_age_s: 600                        # /ready fails when older
        realtime:                                 # optional: GTFS-Realtime sources, polled
          - url_or_path: https://hsl.example/trip-updates.pb
            feed: hsl                             # with several feeds: the one it is about
            poll_s: 30                            # default 30
            max_age_s: 300                        # /ready fails when older (default: never)
        date: "20220222"             # YYYYMMDD, YYYY-MM-DD, "today" (the feed's time
                                     # zone, at start-up) or a list of them
    storage: {url: "sqlite:///maasmix.db"}        # scenarios, results, jobs
    dask: {scheduler: "tcp://10.0.0.5:8786"}      # default: a local cluster
    keys:                            # none: every route is open
      - {name: app, sha256: <hex sha256 of the key>, scopes: [read]}
    limits: {body_bytes: 1048576, plan_time_s: 10, matrix_cells: 1000000,
             jobs_per_key: 4, scenario: {max_model_cells: 100000}}
    cors: {origins: ["https://app.example.org"]}

Relative paths (and a relative SQLite file) are read from the deployment file's folder;
URLs are fetched under the server's fetch policy (`maasmix.feeds._http`). A network with
several dates is loaded once per date: the first under its name, the others as
``NAME@YYYY-MM-DD``. Every problem is a `maasmix.errors.DeploymentError` naming the file
and the field (``networks.helsinki.gtfs[0].fare_contains``); nothing is loaded until the
whole file is valid. The file is bounded: at most `MAX_FILE_BYTES` bytes, no YAML
aliases, at most `MAX_YAML_EVENTS` parser events, ``[``/``{`` nested at most
`MAX_YAML_DEPTH` deep.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from maasmix.errors import DeploymentError, MaasmixError

__all__ = [
    "SCHEMA_PATH",
    "ApiKeySpec",
    "Deployment",
    "FeedSpec",
    "GbfsSpec",
    "Limits",
    "NetworkSpec",
    "RealtimeSpec",
    "hash_key",
    "load_deployment",
    "read_deployment",
]

SCHEMA_PATH = Path(__file__).with_name("schema") / "deployment.schema.json"
#: Largest deployment file read, in bytes.
MAX_FILE_BYTES = 1 << 20
#: Most YAML parser events (scalars, mappings, ...) in a deployment file.
MAX_YAML_EVENTS = 200_000
#: Deepest nesting of YAML flow collections ([ and {) in a deployment file.
MAX_YAML_DEPTH = 64
_OPENERS = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSERS = np.frombuffer(b"]}", dtype=np.uint8)
#: Default largest request body, in bytes.
DEFAULT_BODY_BYTES = 1 << 20
#: Default GBFS snapshot age beyond which /ready fails, in seconds.
DEFAULT_GBFS_MAX_AGE_S = 3600.0
#: Default seconds between two reads of a GTFS-Realtime source.
DEFAULT_REALTIME_POLL_S = 30.0


@dataclass(frozen=True)
class FeedSpec:
    """One GTFS feed of a network: its path or URL and its options."""

    source: str
    fare_contains: str | None = None
    id_prefix: str | None = None


@dataclass(frozen=True)
class GbfsSpec:
    """One GBFS system: a folder, ``gbfs.json`` path or URL, and its age limit (None:
    any age is ready)."""

    source: str
    max_age_s: float | None = DEFAULT_GBFS_MAX_AGE_S


@dataclass(frozen=True)
class RealtimeSpec:
    """One GTFS-Realtime source of a network: a file path or URL (fetched under the fetch
    policy), the GTFS feed label its ids belong to (None: the network's only feed), the
    poll interval and the age beyond which /ready fails (None: never), seconds."""

    source: str
    feed: str | None = None
    poll_s: float = DEFAULT_REALTIME_POLL_S
    max_age_s: float | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """The inputs of one named network for one service date (paths resolved)."""

    name: str
    feeds: tuple[FeedSpec, ...]
    osm: str | None
    gbfs_systems: tuple[GbfsSpec, ...]
    date: dt.date
    realtime: tuple[RealtimeSpec, ...] = ()

    @property
    def gtfs(self) -> tuple[str, ...]:
        """The feeds' paths or URLs."""
        return tuple(f.source for f in self.feeds)

    @property
    def gbfs(self) -> tuple[str, ...]:
        """The GBFS systems' paths or URLs."""
        return tuple(g.source for g in self.gbfs_systems)


@dataclass(frozen=True)
class ApiKeySpec:
    """An API key as stored: its name, the sha256 hex of the key, its scopes."""

    name: str
    sha256: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Limits:
    """The service's limits (see the module docstring); None: no limit of that kind."""

    body_bytes: int = DEFAULT_BODY_BYTES
    plan_time_s: float | None = None
    matrix_cells: int | None = None
    jobs_per_key: int | None = None
    scenario: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Deployment:
    """A whole deployment file (an empty one: `Deployment()`, what flags give)."""

    networks: tuple[NetworkSpec, ...] = ()
    storage_url: str | None = None
    dask_scheduler: str | None = None
    keys: tuple[ApiKeySpec, ...] = ()
    limits: Limits = field(default_factory=Limits)
    cors_origins: tuple[str, ...] = ()
    file: str | None = None


def hash_key(key: str) -> str:
    """The sha256 hex digest of an API key, as a deployment file stores it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _field(path: Sequence[object]) -> str | None:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _plain(value: Any) -> Any:
    """YAML's dates as ISO text (the schema types them as strings)."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, dt.date) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _validate(data: Any, file: str) -> None:
    errors = sorted(_validator().iter_errors(data), key=lambda e: (len(e.path), list(e.path)))
    if not errors:
        return
    # the most specific error: the deepest path, and inside an anyOf the branch that
    # matched best (jsonschema's best_match)
    import jsonschema.exceptions

    best = jsonschema.exceptions.best_match(errors)
    where = _field(list(best.absolute_path))
    message = best.message
    if best.validator == "additionalProperties" and isinstance(best.instance, dict):
        known = set(best.schema.get("properties", {}))
        unknown = sorted(str(k) for k in best.instance if k not in known)
        if unknown:
            name = unknown[0]
            where = f"{where}.{name}" if where else name
            message = f"unknown key {name!r}; known: {', '.join(sorted(known))}"
    elif "propertyNames" in best.absolute_schema_path:
        where = f"{where}.{best.instance}" if where else str(best.instance)
        message = "a network name is 1-64 letters, digits, '_', '.' or '-'"
    elif any(part == "date" for part in best.absolute_path if isinstance(part, str)):
        message = f"expected a date YYYYMMDD, YYYY-MM-DD or today, got {best.instance!r:.40}"
    elif best.validator == "required":
        missing = str(best.message).split("'")[1] if "'" in best.message else ""
        where = f"{where}.{missing}" if where and missing else (missing or where)
        message = "missing"
    if len(message) > 300:
        message = message[:300] + "..."
    raise DeploymentError(message, file=file, field=where)


def _read_yaml(source: Path, file: str) -> Any:
    try:
        if source.exists() and not source.is_file():  # a folder, a FIFO (blocks), a device
            raise DeploymentError("not a regular file", file=file)
        with source.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise DeploymentError("no such deployment file", file=file) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DeploymentError(f"cannot read: {text}", file=file[:200]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise DeploymentError(f"larger than {MAX_FILE_BYTES} bytes", file=file)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeploymentError(f"not UTF-8 (byte {exc.start})", file=file) from None
    # PyYAML's scanner takes quadratic time in the depth of [ and { nesting: bound it
    # first (brackets inside quoted text count too, which only makes the bound stricter)
    codes = np.frombuffer(raw, dtype=np.uint8)
    steps = np.isin(codes, _OPENERS).astype(np.int32) - np.isin(codes, _CLOSERS)
    if codes.size and int(np.cumsum(steps).max()) > MAX_YAML_DEPTH:
        raise DeploymentError(f"[ and {{ nested more than {MAX_YAML_DEPTH} levels deep", file=file)
    try:
        for n, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise DeploymentError(
                    "YAML aliases (*name) are not accepted in a deployment file",
                    file=file,
                    row=None if mark is None else mark.line + 1,
                )
            if n > MAX_YAML_EVENTS:
                raise DeploymentError(f"more than {MAX_YAML_EVENTS} YAML items", file=file)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DeploymentError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=file,
            row=None if mark is None else mark.line + 1,
        ) from None
    except RecursionError:
        raise DeploymentError("YAML nested too deeply", file=file) from None
    except (ValueError, OverflowError) as exc:  # e.g. date 2020-02-30, a 5,000-digit integer
        raise DeploymentError(f"a value YAML cannot represent: {exc}", file=file) from None


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _path(value: str, base: Path, file: str, where: str, *, url_ok: bool) -> str:
    if url_ok and _is_url(value):
        return value
    if "://" in value:
        raise DeploymentError("expected a file path or an http(s) URL", file=file, field=where)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.exists():
        raise DeploymentError(f"no such file or folder: {path}", file=file, field=where)
    return str(path)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def feed_timezone(source: str) -> str:
    """The ``agency_timezone`` of a GTFS feed (its first agency), read from agency.txt
    through the bounded feed reader."""
    from maasmix.feeds.gtfs._read import read_source

    _, members, _ = read_source(source)
    if "agency.txt" not in members:
        raise DeploymentError("the feed has no agency.txt", file=source)
    text = members["agency.txt"].decode("utf-8-sig", "replace")
    rows = csv.DictReader(io.StringIO(text))
    for row in rows:
        zone = (row.get("agency_timezone") or "").strip()
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise DeploymentError(
                f"not an IANA timezone: {zone[:40]!r}", file=source, field="agency_timezone"
            ) from None
        return zone
    raise DeploymentError("agency.txt has no rows", file=source)


def _dates(value: Any, feeds: tuple[FeedSpec, ...], file: str, where: str) -> list[dt.date]:
    out: list[dt.date] = []
    for i, item in enumerate(_listed(value)):
        text = str(item).strip()
        at = f"{where}[{i}]" if isinstance(value, list) else where
        if text == "today":
            try:
                zone = feed_timezone(feeds[0].source)
            except DeploymentError:
                raise
            except MaasmixError as exc:
                raise DeploymentError(
                    f"cannot read the feed's time zone: {exc}", file=file, field=at
                ) from None
            out.append(dt.datetime.now(zoneinfo.ZoneInfo(zone)).date())
            continue
        for fmt in ("%Y%m%d", "%Y-%m-%d"):
            try:
                out.append(dt.datetime.strptime(text, fmt).date())
                break
            except ValueError:
                continue
        else:
            raise DeploymentError(
                f"expected a date YYYYMMDD or YYYY-MM-DD, got {text[:40]!r}", file=file, field=at
            )
    if len(set(out)) != len(out):
        raise DeploymentError("a date is listed twice", file=file, field=where)
    return out


def _network(name: str, raw: dict[str, Any], base: Path, file: str) -> list[NetworkSpec]:
    where = f"networks.{name}"
    feeds = []
    gtfs = raw["gtfs"]
    for i, item in enumerate(_listed(gtfs)):
        at = f"{where}.gtfs[{i}]" if isinstance(gtfs, list) else f"{where}.gtfs"
        spec = item if isinstance(item, dict) else {"source": item}
        source = _path(
            spec["source"],
            base,
            file,
            at + (".source" if isinstance(item, dict) else ""),
            url_ok=True,
        )
        feeds.append(FeedSpec(source, spec.get("fare_contains"), spec.get("id_prefix")))
    prefixes = [f.id_prefix for f in feeds if f.id_prefix]
    if len(set(prefixes)) != len(prefixes):
        raise DeploymentError("two feeds have the same id_prefix", file=file, field=f"{where}.gtfs")
    osm = (
        None
        if raw.get("osm") is None
        else _path(raw["osm"], base, file, f"{where}.osm", url_ok=False)
    )
    systems = []
    gbfs = raw.get("gbfs", [])
    for i, item in enumerate(_listed(gbfs)):
        at = f"{where}.gbfs[{i}]" if isinstance(gbfs, list) else f"{where}.gbfs"
        spec = item if isinstance(item, dict) else {"source": item}
        source = _path(
            spec["source"],
            base,
            file,
            at + (".source" if isinstance(item, dict) else ""),
            url_ok=True,
        )
        systems.append(GbfsSpec(source, float(spec.get("max_age_s", DEFAULT_GBFS_MAX_AGE_S))))
    realtime = []
    labels = {str(f.id_prefix) for f in feeds} if all(f.id_prefix for f in feeds) else set()
    for i, item in enumerate(raw.get("realtime", [])):
        at = f"{where}.realtime[{i}]"
        source = item["url_or_path"]
        if not _is_url(source):
            if "://" in source:
                raise DeploymentError(
                    "expected a file path or an http(s) URL", file=file, field=f"{at}.url_or_path"
                )
            path = Path(source).expanduser()
            source = str(path if path.is_absolute() else base / path)  # may appear later
        feed = item.get("feed")
        if feed is not None and labels and feed not in labels:
            raise DeploymentError(
                f"no GTFS feed with id_prefix {feed!r}; feeds: {', '.join(sorted(labels))}",
                file=file,
                field=f"{at}.feed",
            )
        realtime.append(
            RealtimeSpec(
                source,
                feed,
                float(item.get("poll_s", DEFAULT_REALTIME_POLL_S)),
                None if item.get("max_age_s") is None else float(item["max_age_s"]),
            )
        )
    dates = _dates(raw["date"], tuple(feeds), file, f"{where}.date")
    return [
        NetworkSpec(
            name if k == 0 else f"{name}@{day.isoformat()}",
            tuple(feeds),
            osm,
            tuple(systems),
            day,
            tuple(realtime),
        )
        for k, day in enumerate(dates)
    ]


def _storage_url(url: str | None, base: Path) -> str | None:
    """A relative SQLite file is read from the deployment file's folder."""
    if url is None or not url.startswith("sqlite:///") or url.startswith("sqlite:////"):
        return url
    rest = url.removeprefix("sqlite:///")
    if not rest or rest.startswith(":memory:"):
        return url
    return f"sqlite:///{base / rest}"


def read_deployment(path: str | Path) -> Deployment:
    """The whole deployment file (see the module docstring)."""
    file = str(path)
    source = Path(path)
    data = _plain(_read_yaml(source, file))
    if not isinstance(data, dict):
        raise DeploymentError("expected a mapping with a 'networks' key", file=file)
    _validate(data, file)
    base = source.resolve().parent
    networks = [
        spec for name, raw in data["networks"].items() for spec in _network(name, raw, base, file)
    ]
    keys = tuple(
        ApiKeySpec(k["name"], k["sha256"], frozenset(k["scopes"])) for k in data.get("keys", [])
    )
    names = [k.name for k in keys]
    if len(set(names)) != len(names):
        raise DeploymentError("two keys have the same name", file=file, field="keys")
    raw_limits = data.get("limits", {})
    limits = Limits(
        body_bytes=int(raw_limits.get("body_bytes", DEFAULT_BODY_BYTES)),
        plan_time_s=raw_limits.get("plan_time_s"),
        matrix_cells=raw_limits.get("matrix_cells"),
        jobs_per_key=raw_limits.get("jobs_per_key"),
        scenario=dict(raw_limits.get("scenario", {})),
    )
    return Deployment(
        networks=tuple(networks),
        storage_url=_storage_url(data.get("storage", {}).get("url"), base),
        dask_scheduler=data.get("dask", {}).get("scheduler"),
        keys=keys,
        limits=limits,
        cors_origins=tuple(data.get("cors", {}).get("origins", [])),
        file=file,
    )


def load_deployment(path: str | Path) -> list[NetworkSpec]:
    """The networks of a deployment file, in file order (one per name and date)."""
    return list(read_deployment(path).networks)


def build_network(spec: NetworkSpec, cache_dir: str | Path | None = None) -> Any:
    """The `maasmix.engine.network.Network` of ``spec`` (compiled inputs from the disk
    cache when present): each feed under its ``id_prefix`` (default: its file stem) and
    with its ``fare_contains`` reading, then its GBFS systems."""
    from maasmix.engine.network import Network
    from maasmix.feeds.gtfs._read import ResolvedSource, source_bytes
    from maasmix.feeds.network_fares import feed_labels

    sources: list[Any] = [
        ResolvedSource(f.id_prefix, source_bytes(f.source)) if f.id_prefix else f.source
        for f in spec.feeds
    ]
    labels = feed_labels(sources)
    contains = {
        label: f.fare_contains
        for label, f in zip(labels, spec.feeds, strict=True)
        if f.fare_contains is not None
    }
    return Network.from_files(
        gtfs=sources,
        osm=spec.osm,
        gbfs=list(spec.gbfs),
        date=spec.date,
        cache_dir=cache_dir,
        fare_contains=contains or None,
    )
