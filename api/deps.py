"""FastAPI dependencies shared by the routes (``Annotated`` aliases) and the one rule for
which inputs a client may make the server read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException

from maasmix.api.settings import Settings, get_settings
from maasmix.errors import FeedMissingError, QueryError
from maasmix.feeds._http import check_url, is_url

__all__ = ["SettingsDep", "server_source"]

SettingsDep = Annotated[Settings, Depends(get_settings)]

#: Longest path or URL a client may name.
MAX_SOURCE_CHARS = 1024
#: Longest name of one path component, in bytes (what Linux file systems allow).
MAX_NAME_BYTES = 255


def server_source(source: str, settings: Settings, *, parameter: str = "source") -> str:
    """The local path (or URL) the server reads for a client-named ``source``.

    A relative path must stay inside ``MAASMIX_DATA``; an http(s) URL is fetched only
    when its host is listed in ``MAASMIX_REMOTE_SOURCES`` (default: none), and never
    when it names or resolves to a loopback, private or link-local address (the same
    policy then covers its redirects and the URLs inside what it returns). Anything else
    is 403. A name the file system could not hold (NUL, a component over 255 bytes,
    over 1024 characters) is a `QueryError` naming ``parameter`` (422).
    """
    if len(source) > MAX_SOURCE_CHARS or "\0" in source:
        raise QueryError(
            f"must be at most {MAX_SOURCE_CHARS} characters, without NUL", parameter=parameter
        )
    if is_url(source):
        try:
            check_url(source, settings.fetch_policy())
        except FeedMissingError:
            raise HTTPException(
                403, "this server fetches no URL named by a client (see MAASMIX_REMOTE_SOURCES)"
            ) from None
        return source
    if "://" in source:
        raise HTTPException(403, "only http(s) URLs and paths under the data folder are read")
    too_long = [p for p in source.split("/") if len(p.encode("utf-8", "replace")) > MAX_NAME_BYTES]
    if too_long:
        raise QueryError(
            f"a path component is longer than {MAX_NAME_BYTES} bytes", parameter=parameter
        )
    root = settings.data.resolve()
    try:
        path = (root / source).resolve()
    except (OSError, RuntimeError, ValueError):
        raise QueryError("not a usable path", parameter=parameter) from None
    if not path.is_relative_to(root):
        raise HTTPException(403, "only inputs under the server's data folder can be read")
    return str(path)
