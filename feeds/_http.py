"""Fetching inputs over http(s): one place for timeouts, status checks and error wording."""

from __future__ import annotations

import json
from typing import Any

import requests

from maasmix.errors import FeedFormatError, FeedMissingError

DEFAULT_TIMEOUT_S = 30.0


def is_url(source: object) -> bool:
    """True when ``source`` is an http(s) URL string."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def fetch_bytes(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bytes:
    """GET ``url`` and return the body; network failures and non-2xx raise FeedMissingError."""
    try:
        response = requests.get(url, timeout=timeout_s)
    except requests.RequestException as exc:
        raise FeedMissingError(f"cannot fetch: {exc}", file=url) from exc
    if not 200 <= response.status_code < 300:
        raise FeedMissingError(f"HTTP {response.status_code} {response.reason}", file=url)
    return response.content


def fetch_json(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
    """GET ``url`` and parse it as JSON; invalid JSON raises FeedFormatError with the line."""
    body = fetch_bytes(url, timeout_s=timeout_s)
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        row = getattr(exc, "lineno", None)
        raise FeedFormatError(f"invalid JSON: {exc}", file=url, row=row) from exc
