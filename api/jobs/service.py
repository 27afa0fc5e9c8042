"""The storage and job runner of one app (`Services`), opened from its deployment: the
deployment's ``storage.url`` (default: ``maasmix.db`` in the cache folder) and its
``dask.scheduler`` (else ``MAASMIX_DASK_ADDRESS``, else ``app.state.dask_address``: a
function giving the address of the cluster a several-worker server's supervisor runs,
`maasmix.api.jobs.cluster`; else a local cluster).

With a storage URL in the deployment they open when the app starts (so jobs of a server
killed earlier are marked ``interrupted`` at once), otherwise on the first request that
needs them; they close when the app stops (`lifespan`, merged into the app's own by the
router that carries it). Once open, ``/ready`` checks the storage through them
(``app.state.ready_checks["storage"]``). ``app.state.local_cluster`` (a
`LocalClusterOptions`) shapes the local cluster.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from maasmix.api.jobs.runner import JobRunner, LocalClusterOptions
from maasmix.api.settings import Settings, get_settings
from maasmix.api.storage import Storage

__all__ = ["Services", "ServicesDep", "close_services", "get_services", "lifespan", "open_services"]

#: The SQLite file used when the deployment names no storage, in the cache folder.
DEFAULT_DB_NAME = "maasmix.db"

_lock = threading.Lock()


@dataclass
class Services:
    """An app's storage and job runner."""

    storage: Storage
    runner: JobRunner


def _settings(app: Any) -> Settings:
    """The app's settings (its override of `get_settings` when it has one)."""
    overrides = getattr(app, "dependency_overrides", {})
    settings: Settings = overrides.get(get_settings, get_settings)()
    return settings


def _storage_url(app: Any) -> str:
    deployment = getattr(app.state, "deployment", None)
    url = getattr(deployment, "storage_url", None)
    if url:
        return str(url)
    folder = _settings(app).cache_dir.expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / DEFAULT_DB_NAME}"


def _storage_ready(storage: Storage) -> tuple[bool, str]:
    return (True, "reachable") if storage.ping() else (False, "not reachable")


def open_services(app: Any) -> Services:
    """The app's services, opened on first call."""
    with _lock:
        found: Services | None = getattr(app.state, "services", None)
        if found is not None:
            return found
        deployment = getattr(app.state, "deployment", None)
        scheduler = (
            getattr(deployment, "dask_scheduler", None)
            or _settings(app).dask_address
            or getattr(app.state, "dask_address", None)  # a worker: its supervisor's cluster
        )
        local = getattr(app.state, "local_cluster", None) or LocalClusterOptions()
        storage = Storage(_storage_url(app))
        try:
            runner = JobRunner(storage, scheduler=scheduler, local=local)
        except BaseException:
            storage.close()
            raise
        services = Services(storage, runner)
        app.state.services = services
        # /ready asks this storage (psycopg for postgresql:// URLs)
        checks = dict(getattr(app.state, "ready_checks", None) or {})
        checks["storage"] = lambda: _storage_ready(storage)
        app.state.ready_checks = checks
        return services


def close_services(app: Any) -> None:
    """Stop the app's job runner and close its storage (when opened)."""
    with _lock:
        services: Services | None = getattr(app.state, "services", None)
        app.state.services = None
    if services is not None:
        checks = dict(getattr(app.state, "ready_checks", None) or {})
        checks.pop("storage", None)
        app.state.ready_checks = checks
        services.runner.close()
        services.storage.close()


def get_services(request: Request) -> Services:
    """FastAPI dependency: the app's services."""
    return open_services(request.app)


ServicesDep = Annotated[Services, Depends(get_services)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the services at start-up when the deployment names a storage; close them at
    shutdown."""
    deployment = getattr(app.state, "deployment", None)
    if getattr(deployment, "storage_url", None):
        open_services(app)
    try:
        yield
    finally:
        close_services(app)
