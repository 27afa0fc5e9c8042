"""API keys: hashed at rest (sha256 hex in the deployment file), scopes ``read`` and
``write``.

A client sends its key as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``. With no
key in the deployment the service is open (every caller has both scopes). With keys,
every ``/v1`` route needs a key with ``read`` (`require_read`, put on the whole ``/v1``
router by `maasmix.api.app.create_app`), and every write and every job (creating,
changing or deleting stored things, refreshing a network, starting or cancelling a job)
needs ``write`` (`WriteKey` on those routes): no key or an unknown key is 401 (with
``WWW-Authenticate: Bearer``), a key without the scope 403, both problem+json.
``/health``, ``/ready``, ``/metrics`` and the OpenAPI document stay open.

Keys are compared by their hash in constant time (`hmac.compare_digest`); the key itself
is never stored or logged. ``maasmix keygen NAME`` prints a new key and its entry.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from maasmix.api.deployment import ApiKeySpec, Deployment, hash_key

__all__ = [
    "Caller",
    "ReadKey",
    "WriteKey",
    "caller",
    "new_key",
    "require_read",
    "require_write",
]

SCOPES = ("read", "write")
#: Longest key accepted in a header (longer is 401 without hashing it).
MAX_KEY_CHARS = 256


@dataclass(frozen=True)
class Caller:
    """Who is asking: the key's name (``"anonymous"`` on an open service) and scopes."""

    name: str
    scopes: frozenset[str]


OPEN = Caller("anonymous", frozenset(SCOPES))


def new_key() -> str:
    """A fresh random API key (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def _match(keys: tuple[ApiKeySpec, ...], key: str) -> ApiKeySpec | None:
    digest = hash_key(key)
    found = None
    for spec in keys:  # no early exit: the time does not depend on which key matched
        if hmac.compare_digest(spec.sha256, digest):
            found = spec
    return found


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def caller(request: Request) -> Caller:
    """The caller of ``request`` (401 for a missing or unknown key when keys are set)."""
    deployment: Deployment | None = getattr(request.app.state, "deployment", None)
    if deployment is None or not deployment.keys:
        return OPEN
    key = _presented(request)
    if key is None:
        raise _unauthorised("an API key is required (Authorization: Bearer KEY or X-API-Key)")
    spec = _match(deployment.keys, key) if len(key) <= MAX_KEY_CHARS else None
    if spec is None:
        raise _unauthorised("unknown API key")
    return Caller(spec.name, spec.scopes)


def _require(scope: str, who: Caller) -> Caller:
    if scope not in who.scopes:
        raise HTTPException(403, f"the key {who.name!r} has no {scope!r} scope")
    return who


def require_read(who: Annotated[Caller, Depends(caller)]) -> Caller:
    """A caller with the ``read`` scope."""
    return _require("read", who)


def require_write(who: Annotated[Caller, Depends(caller)]) -> Caller:
    """A caller with the ``write`` scope."""
    return _require("write", who)


ReadKey = Annotated[Caller, Depends(require_read)]
WriteKey = Annotated[Caller, Depends(require_write)]
