"""FastAPI dependencies shared by the routes (``Annotated`` aliases) and the one rule for
which inputs a client may make the server read."""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException

from maasmix.api.settings import Settings, get_settings
from maasmix.feeds._http import is_url

__all__ = ["SettingsDep", "server_source"]

SettingsDep = Annotated[Settings, Depends(get_settings)]

#: Longest path or URL a client may name.
MAX_SOURCE_CHARS = 1024


def server_source(source: str, settings: Settings) -> str:
    """The local path (or URL) the server reads for a client-named ``source``.

    A relative path must stay inside ``MAASMIX_DATA``; an http(s) URL is fetched only
    when its host is listed in ``MAASMIX_REMOTE_SOURCES`` (default: none), and never
    when it names a loopback, private or link-local address. Anything else is 403.
    """
    if len(source) > MAX_SOURCE_CHARS or "\0" in source:
        raise HTTPException(422, f"source must be at most {MAX_SOURCE_CHARS} characters, no NUL")
    if is_url(source):
        host = (urlsplit(source).hostname or "").lower()
        if host not in {h.lower() for h in settings.remote_sources} or _internal(host):
            raise HTTPException(
                403, "this server fetches no URL named by a client (see MAASMIX_REMOTE_SOURCES)"
            )
        return source
    if "://" in source:
        raise HTTPException(403, "only http(s) URLs and paths under the data folder are read")
    root = settings.data.resolve()
    path = (root / source).resolve()
    if not path.is_relative_to(root):
        raise HTTPException(403, "only inputs under the server's data folder can be read")
    return str(path)


def _internal(host: str) -> bool:
    """Whether ``host`` is an IP literal of this machine or a private network."""
    try:
        address = ipaddress.ip_address(int(host) if host.isdigit() else host)
    except ValueError:
        return host in {"localhost", "localhost.localdomain"} or host.endswith(".localhost")
    return not address.is_global
