"""Deployment files of ``maasmix serve --deployment FILE``: the networks a server loads.

A YAML mapping with one key, ``networks``, mapping each network's name (used as
``/v1/plan?network=NAME``; the first is the default) to its inputs::

    networks:
      helsinki:
        gtfs: [hsl.zip]              # one path or a list (required)
        osm: Helsinki.osm.pbf        # optional: crow-fly streets without it
        gbfs: [gbfs-helsinki-hsl]    # optional: folders, gbfs.json paths or URLs
        date: "20220222"             # service date, YYYYMMDD or YYYY-MM-DD (required)

Relative paths are read from the deployment file's folder. Every problem is a
`maasmix.errors.DeploymentError` naming the file and the field
(``networks.helsinki.gtfs[0]``); nothing is loaded until the whole file is valid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from maasmix.errors import DeploymentError

__all__ = ["NetworkSpec", "load_deployment"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEYS = {"gtfs", "osm", "gbfs", "date"}


@dataclass(frozen=True)
class NetworkSpec:
    """The inputs of one named network (paths resolved, date parsed)."""

    name: str
    gtfs: tuple[str, ...]
    osm: str | None
    gbfs: tuple[str, ...]
    date: dt.date


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _path(value: object, base: Path, file: str, field: str, *, url_ok: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DeploymentError("expected a file path", file=file, field=field)
    if url_ok and _is_url(value):
        return value
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.exists():
        raise DeploymentError(f"no such file or folder: {path}", file=file, field=field)
    return str(path)


def _paths(
    value: object, base: Path, file: str, field: str, *, url_ok: bool, required: bool
) -> tuple[str, ...]:
    if value is None:
        if required:
            raise DeploymentError("missing", file=file, field=field)
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or (required and not items):
        raise DeploymentError("expected a path or a list of paths", file=file, field=field)
    return tuple(_path(v, base, file, f"{field}[{i}]", url_ok=url_ok) for i, v in enumerate(items))


def _date(value: object, file: str, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DeploymentError(
        f"expected a date YYYYMMDD or YYYY-MM-DD, got {str(value)[:40]!r}", file=file, field=field
    )


def _spec(name: object, raw: object, base: Path, file: str) -> NetworkSpec:
    where = f"networks.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise DeploymentError(
            "a network name is 1-64 letters, digits, '_', '.' or '-'", file=file, field=where
        )
    if not isinstance(raw, dict):
        raise DeploymentError("expected a mapping of gtfs, osm, gbfs, date", file=file, field=where)
    unknown = sorted(set(map(str, raw)) - _KEYS)
    if unknown:
        raise DeploymentError(
            f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}",
            file=file,
            field=f"{where}.{unknown[0]}",
        )
    gtfs = _paths(raw.get("gtfs"), base, file, f"{where}.gtfs", url_ok=True, required=True)
    osm_raw = raw.get("osm")
    osm = None if osm_raw is None else _path(osm_raw, base, file, f"{where}.osm", url_ok=False)
    gbfs = _paths(raw.get("gbfs"), base, file, f"{where}.gbfs", url_ok=True, required=False)
    if raw.get("date") is None:
        raise DeploymentError("missing", file=file, field=f"{where}.date")
    return NetworkSpec(name, gtfs, osm, gbfs, _date(raw["date"], file, f"{where}.date"))


def load_deployment(path: str | Path) -> list[NetworkSpec]:
    """The networks of a deployment file, in file order (see the module docstring)."""
    file = str(path)
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeploymentError("no such deployment file", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeploymentError(f"cannot read: {exc}", file=file) from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DeploymentError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=file,
            row=None if mark is None else mark.line + 1,
        ) from None
    if not isinstance(data, dict) or "networks" not in data:
        raise DeploymentError("expected a mapping with a 'networks' key", file=file)
    extra = sorted(set(map(str, data)) - {"networks"})
    if extra:
        raise DeploymentError(f"unknown key {extra[0]!r}", file=file, field=extra[0])
    networks = data["networks"]
    if not isinstance(networks, dict) or not networks:
        raise DeploymentError(
            "expected a non-empty mapping of network names", file=file, field="networks"
        )
    base = source.resolve().parent
    return [_spec(name, raw, base, file) for name, raw in networks.items()]
