"""FastAPI dependencies shared by the routes (``Annotated`` aliases) and the one rule for
which inputs a client may make the server read."""

from __future__ import annotations

import re
import stat
from typing import Annotated, Any

from fastapi import Depends, HTTPException

from maasmix.api.settings import Settings, get_settings
from maasmix.errors import FeedMissingError, QueryError
from maasmix.feeds._http import check_url, is_url

__all__ = [
    "ACCEPTED_SUFFIXES",
    "COORD_PATTERN",
    "SOURCE_PATTERN",
    "SOURCE_SCHEMA",
    "SettingsDep",
    "server_source",
]

SettingsDep = Annotated[Settings, Depends(get_settings)]

#: Longest path or URL a client may name.
MAX_SOURCE_CHARS = 1024
#: Longest name of one path component, in bytes (what Linux file systems allow).
MAX_NAME_BYTES = 255

#: A name a client may give for an input (`server_source`): an http(s) URL (no spaces or
#: control characters), or a relative
#: path of names of letters, digits and ``_.,+=@-`` (at most 255 each; none ``.`` or
#: ``..``; nothing absolute, no ``~``, no empty part). The code refuses what this refuses.
_NAME = r"(?!\.\.?(/|$))[A-Za-z0-9_.,+=@-]{1,255}"
_URL = r"https?://[^\s/?#\u0000-\u001f\u007f]+([/?#][^\s\u0000-\u001f\u007f]*)?"
SOURCE_PATTERN = rf"^({_URL}|{_NAME}(/{_NAME})*)$"
#: The JSON Schema of such a name, for a parameter's or a field's ``json_schema_extra``.
SOURCE_SCHEMA: dict[str, Any] = {
    "pattern": SOURCE_PATTERN,
    "minLength": 1,
    "maxLength": MAX_SOURCE_CHARS,
}

#: ``LAT,LON`` in decimal degrees, each in its WGS84 range (latitude -90 to 90, longitude
#: -180 to 180), so that a value the pattern admits is a point.
_LAT = r"-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?)"
_LON = r"-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)"
COORD_PATTERN = rf"^{_LAT},{_LON}$"


#: Suffixes of the files a client may name (feeds, OSM extracts, scenarios, diaries,
#: points); a folder under the data folder (a GTFS or GBFS feed) is also accepted.
ACCEPTED_SUFFIXES = (
    ".zip",
    ".json",
    ".geojson",
    ".pbf",
    ".osm",
    ".bz2",
    ".gz",
    ".yaml",
    ".yml",
    ".csv",
    ".txt",
    ".parquet",
    ".geoparquet",
    ".gpkg",
)


def _forbidden(parameter: str, why: str) -> HTTPException:
    return HTTPException(403, f"{parameter}: {why}")


def server_source(source: str, settings: Settings, *, parameter: str = "source") -> str:
    """The local path (or URL) the server reads for a client-named ``source``.

    A client names an input, never a server path: ``source`` is a relative path of names
    (no empty, ``.`` or ``..`` component, not absolute, no ``~``) that resolves, symlinks
    followed, strictly inside ``MAASMIX_DATA`` (never the data folder itself) to a folder
    (a GTFS or GBFS feed) or to a regular file with one of `ACCEPTED_SUFFIXES` (a path
    that does not exist is passed on: its reader answers 404). An http(s) URL is fetched
    only when its host is listed in ``MAASMIX_REMOTE_SOURCES`` (default: none), and never
    when it names or resolves to a loopback, private or link-local address (the same
    policy then covers its redirects and the URLs inside what it returns).

    Errors name ``parameter``: a URL the policy refuses, another scheme, ``..``, an
    absolute path or a symlink out of the data folder is 403 (`HTTPException`); an empty
    name, the data folder itself, a name the file system could not hold (NUL, a component
    over 255 bytes, over 1024 characters), a name outside `SOURCE_PATTERN` (what the
    OpenAPI document says of these parameters), a device, FIFO or socket, or a file of
    another type is a `QueryError` (422).
    """
    if len(source) > MAX_SOURCE_CHARS or "\0" in source:
        raise QueryError(
            f"must be at most {MAX_SOURCE_CHARS} characters, without NUL", parameter=parameter
        )
    if is_url(source):
        if not re.fullmatch(SOURCE_PATTERN, source):
            raise QueryError("not a URL this server reads (no spaces)", parameter=parameter)
        try:
            check_url(source, settings.fetch_policy())
        except FeedMissingError:
            raise _forbidden(
                parameter,
                "this server fetches no URL named by a client (see MAASMIX_REMOTE_SOURCES)",
            ) from None
        return source
    if "://" in source:
        raise _forbidden(parameter, "only http(s) URLs and paths under the data folder are read")
    if source.startswith(("/", "\\", "~")):
        raise _forbidden(parameter, "names a server path; name an input of the data folder")
    parts = source.split("/")
    if ".." in parts or any("\\" in p for p in parts):
        raise _forbidden(parameter, "only inputs under the server's data folder can be read")
    if not source.strip() or any(p in ("", ".") for p in parts):
        raise QueryError(
            "name an input of the data folder (a relative path without empty or '.' parts)",
            parameter=parameter,
        )
    too_long = [p for p in parts if len(p.encode("utf-8", "replace")) > MAX_NAME_BYTES]
    if too_long:
        raise QueryError(
            f"a path component is longer than {MAX_NAME_BYTES} bytes", parameter=parameter
        )
    if not re.fullmatch(SOURCE_PATTERN, source):
        raise QueryError(
            "name an input by letters, digits and _.,+=@- (parts separated by '/')",
            parameter=parameter,
        )
    root = settings.data.resolve()
    try:
        path = (root / source).resolve()
        kind = path.stat().st_mode if path.exists() else None
    except (OSError, RuntimeError, ValueError):
        raise QueryError("not a usable path", parameter=parameter) from None
    if not path.is_relative_to(root):
        raise _forbidden(parameter, "only inputs under the server's data folder can be read")
    if path == root:
        raise QueryError("names the data folder itself; name an input in it", parameter=parameter)
    if kind is None or stat.S_ISDIR(kind):
        return str(path)
    if not stat.S_ISREG(kind):
        raise QueryError("not a regular file or a feed folder", parameter=parameter)
    if not path.name.lower().endswith(ACCEPTED_SUFFIXES):
        raise QueryError(
            f"not a file of an accepted type ({', '.join(ACCEPTED_SUFFIXES)})",
            parameter=parameter,
        )
    return str(path)
