"""Fetching inputs over http(s): one place for caps, redirects, status checks and wording.

Every fetch is bounded by `maasmix.feeds.limits`: the body by ``max_fetch_bytes`` (a
``Content-Length`` above it is refused before the body is read), the whole fetch -
connecting, every redirect, every read - by ``max_fetch_s`` (a total, not a per-read
timeout, so a slow sender cannot hold it longer), and at most ``max_redirects``.

Which hosts may be fetched is a `FetchPolicy`. The library and the CLI fetch any http(s)
URL their user names; a server wraps the reads it does for clients in
``with fetch_policy(FetchPolicy(allowed_hosts=..., block_internal=True))``, and then
every URL - the first one, each redirect target, the URLs found inside fetched
documents (a ``gbfs.json`` feed list) - must name an allowed host that resolves to
public addresses only. Error messages say what failed (refused by policy, connection
failed, timed out, too large, HTTP status), never the host's connection details.

Static inputs (a GTFS zip) go through the HTTP cache (`fetch_cached`): a body served with
an ``ETag`` or ``Last-Modified`` is kept in the disk cache and fetched again only
conditionally, so an unchanged feed is downloaded once, not at every build or by every
worker; a network build also reuses its one download (`maasmix.feeds.network_inputs`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from maasmix.errors import FeedFormatError, FeedMissingError
from maasmix.feeds import limits as feed_limits

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "FetchPolicy",
    "check_url",
    "fetch_bytes",
    "fetch_cached",
    "fetch_json",
    "fetch_policy",
    "is_url",
]

DEFAULT_TIMEOUT_S = 30.0
"""Longest wait for a connection or for one read (the total is ``max_fetch_s``)."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchPolicy:
    """Which URLs may be fetched.

    Attributes
    ----------
    allowed_hosts : frozenset of str, or None
        Host names (lower case) that may be fetched; None: any host.
    block_internal : bool
        Refuse hosts that are, or resolve to, loopback, private, link-local or other
        non-global addresses (including integer forms such as ``2130706433``).
    """

    allowed_hosts: frozenset[str] | None = None
    block_internal: bool = False

    @classmethod
    def allow_only(cls, hosts: list[str] | tuple[str, ...] | frozenset[str]) -> FetchPolicy:
        """A server's policy: only ``hosts``, and never an internal address."""
        return cls(frozenset(h.strip().lower() for h in hosts if h.strip()), True)


_ANY = FetchPolicy()
_policy: ContextVar[FetchPolicy | None] = ContextVar("maasmix_fetch_policy", default=None)


@contextlib.contextmanager
def fetch_policy(policy: FetchPolicy) -> Iterator[FetchPolicy]:
    """Fetch under ``policy`` inside a ``with`` block (this thread / task only)."""
    token = _policy.set(policy)
    try:
        yield policy
    finally:
        _policy.reset(token)


def is_url(source: object) -> bool:
    """True when ``source`` is an http(s) URL string."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def _refused(url: str, why: str) -> FeedMissingError:
    return FeedMissingError(f"not fetched: {why}", file=_shown(url))


def _shown(url: str) -> str:
    """The URL as errors name it: scheme, host and path, no credentials or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # "https://[::1": no host to show; the scheme alone
        return url.split(":", 1)[0] + "://(not a valid URL)"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else url[:200]


def _is_internal_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global


def check_url(url: str, policy: FetchPolicy | None = None) -> None:
    """Raise `FeedMissingError` unless ``policy`` (default: the one in force) allows
    fetching ``url``."""
    policy = policy or _policy.get() or _ANY
    if not is_url(url):
        raise _refused(url, "only http(s) URLs are fetched")
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        raise _refused(url, "not a valid URL") from None
    if not host:
        raise _refused(url, "the URL names no host")
    if policy.allowed_hosts is not None and host not in policy.allowed_hosts:
        raise _refused(url, "this host is not among the sources allowed")
    if not policy.block_internal:
        return
    literal = int(host) if host.isdigit() else host
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        address = None
    if address is not None:
        if _is_internal_address(str(address)):
            raise _refused(url, "internal addresses are never fetched")
        return
    if host in {"localhost", "localhost.localdomain"} or host.endswith(".localhost"):
        raise _refused(url, "internal addresses are never fetched")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise _refused(url, "the host name does not resolve") from None
    if any(_is_internal_address(str(info[4][0])) for info in infos):
        raise _refused(url, "internal addresses are never fetched")


def fetch_bytes(
    url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, max_bytes: int | None = None
) -> bytes:
    """GET ``url`` within the fetch policy and limits; return the body.

    ``max_bytes`` lowers the size cap for this fetch (e.g. a JSON document's limit).

    Raises
    ------
    FeedMissingError
        Refused by the policy, connection failed, timed out, redirected too often or off
        the allowed hosts, or a non-2xx status.
    FeedFormatError
        The body is larger than the cap.
    """
    return _fetch(url, timeout_s=timeout_s, max_bytes=max_bytes, conditions={})[1]


def _fetch(
    url: str, *, timeout_s: float, max_bytes: int | None, conditions: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, validators) of a GET of ``url`` under the policy and limits;
    ``conditions`` (If-None-Match, If-Modified-Since) make a 304 an answer (empty body)."""
    limits = feed_limits.current()
    deadline = time.monotonic() + limits.max_fetch_s
    current = url
    with requests.Session() as session:
        session.trust_env = False  # no proxy or netrc from the environment
        for _ in range(int(limits.max_redirects) + 1):
            check_url(current)
            response = _get(session, current, deadline, timeout_s, conditions)
            with response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    current = urljoin(current, location)
                    continue
                validators = {
                    name: response.headers[header]
                    for name, header in (("etag", "ETag"), ("last_modified", "Last-Modified"))
                    if response.headers.get(header)
                }
                if response.status_code == 304 and conditions:
                    return 304, b"", validators
                if not 200 <= response.status_code < 300:
                    raise FeedMissingError(
                        f"HTTP {response.status_code} {response.reason}", file=_shown(url)
                    )
                cap = int(limits.max_fetch_bytes)
                body = _body(
                    response, url, deadline, cap if max_bytes is None else min(cap, max_bytes)
                )
                return response.status_code, body, validators
    raise FeedMissingError(
        f"more than {limits.max_redirects} redirects (feed limit max_redirects)",
        file=_shown(url),
    )


HTTP_CACHE_VERSION = 1
"""Layout of the HTTP cache's entries (a change makes every stored body a miss)."""


def fetch_cached(
    url: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> bytes:
    """`fetch_bytes` through the HTTP cache: a body served with an ``ETag`` or a
    ``Last-Modified`` is kept in the disk cache (`maasmix.feeds.cache.DiskCache`,
    ``cache_dir``, size-capped with every other entry) and asked for again only
    conditionally (``If-None-Match`` / ``If-Modified-Since``): an unchanged feed answers
    304 and is not downloaded again. A body without validators is never stored. For
    static inputs (a GTFS zip); live data (GBFS, GTFS-Realtime) is fetched afresh.
    """
    from maasmix.feeds.cache import DiskCache, make_key

    cache = DiskCache(cache_dir)
    key = make_key(url, "http-body", {}, HTTP_CACHE_VERSION, code="")
    stored = cache.get(key)
    conditions: dict[str, str] = {}
    if isinstance(stored, dict) and isinstance(stored.get("body"), bytes):
        if stored.get("etag"):
            conditions["If-None-Match"] = str(stored["etag"])
        if stored.get("last_modified"):
            conditions["If-Modified-Since"] = str(stored["last_modified"])
    status, body, validators = _fetch(
        url, timeout_s=timeout_s, max_bytes=None, conditions=conditions
    )
    if status == 304:
        assert isinstance(stored, dict)
        logger.info("%s not modified: the cached body is used", _shown(url))
        return bytes(stored["body"])
    if validators:
        cache.put(key, {**validators, "url": _shown(url), "body": body})
    return body


def _get(
    session: requests.Session,
    url: str,
    deadline: float,
    timeout_s: float,
    conditions: dict[str, str] | None = None,
) -> requests.Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(url)
    wait = max(0.05, min(timeout_s, remaining))
    try:
        return session.get(
            url,
            timeout=(wait, wait),
            stream=True,
            allow_redirects=False,
            # no compressed bodies to inflate; validators of a cached body
            headers={"Accept-Encoding": "identity", **(conditions or {})},
        )
    except requests.Timeout:
        raise _timed_out(url) from None
    except requests.RequestException as exc:
        logger.info("fetch of %s failed: %s", _shown(url), exc)
        raise FeedMissingError("cannot fetch: connection failed", file=_shown(url)) from None


def _timed_out(url: str) -> FeedMissingError:
    total = feed_limits.current().max_fetch_s
    return FeedMissingError(
        f"cannot fetch: not done within {total:g} s (feed limit max_fetch_s)", file=_shown(url)
    )


def _body(response: requests.Response, url: str, deadline: float, cap: int) -> bytes:
    limit = "max_fetch_bytes" if cap == feed_limits.current().max_fetch_bytes else "max_json_bytes"
    too_large = FeedFormatError(
        f"the body is larger than {cap} bytes (feed limit {limit})", file=_shown(url)
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large
    body = bytearray()
    raw = response.raw
    try:
        while True:
            if time.monotonic() > deadline:
                raise _timed_out(url)
            # read1: whatever one receive brings, so a trickle cannot stretch a read
            piece = raw.read1(1 << 16, decode_content=True)
            if not piece:
                break
            if len(body) + len(piece) > cap:
                raise too_large
            body += piece
    except (FeedMissingError, FeedFormatError):
        raise
    except (requests.RequestException, OSError, ValueError) as exc:
        logger.info("reading %s failed: %s", _shown(url), exc)
        if "timed out" in str(exc).lower():
            raise _timed_out(url) from None
        raise FeedMissingError("cannot fetch: connection failed", file=_shown(url)) from None
    except Exception as exc:  # urllib3 errors (ReadTimeoutError, ProtocolError, ...)
        logger.info("reading %s failed: %s", _shown(url), exc)
        if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
            raise _timed_out(url) from None
        raise FeedMissingError("cannot fetch: connection failed", file=_shown(url)) from None
    return bytes(body)


def fetch_json(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
    """GET ``url`` and parse it as JSON; invalid JSON raises FeedFormatError with the line."""
    body = fetch_bytes(url, timeout_s=timeout_s)
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        row = getattr(exc, "lineno", None)
        raise FeedFormatError(f"invalid JSON: {exc}", file=_shown(url), row=row) from exc
    except RecursionError:
        raise FeedFormatError("invalid JSON: nested too deeply", file=_shown(url)) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise FeedFormatError(f"invalid JSON: {str(exc)[:100]}", file=_shown(url)) from None
