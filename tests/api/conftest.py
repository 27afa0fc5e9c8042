"""Fixtures of the storage tests: a real PostgreSQL server started by the test run
(Debian's ``postgresql`` binaries: ``initdb`` and ``pg_ctl`` on PATH or under
/usr/lib/postgresql/*/bin), as a non-root user (``runuser -u postgres`` when the tests
run as root), on loopback with a free port; and ``db_url``, a fresh empty database on
SQLite and on that server.

A server that cannot start is a skip with the reason locally and a failure under
``CI=true``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL for the storage tests: {reason}")
    pytest.skip(f"PostgreSQL for the storage tests: {reason}")


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server (superuser ``postgres``, trust on loopback) that
    lives for the test session."""
    bindir = _binaries()
    if bindir is None:
        _unavailable("no initdb/pg_ctl found (install Debian's postgresql package)")
    assert bindir is not None
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="maasmix-pg-")
    data = Path(root, "data")
    if os.geteuid() == 0:  # initdb refuses root
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("running as root without runuser to start it as another user")
        user = "postgres"
        try:
            import pwd

            entry = pwd.getpwnam(user)
        except KeyError:
            _unavailable("running as root and no 'postgres' user to run it as")
        os.chown(root, entry.pw_uid, entry.pw_gid)
        as_user = [str(runuser), "-u", user, "--"]
    port = _free_port()
    log = Path(root, "server.log")
    try:
        subprocess.run(
            [
                *as_user,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root}"
            " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        subprocess.run(
            [
                *as_user,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"cannot start it: {exc} {detail.decode(errors='replace')[-500:]} {tail}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


def _new_database(server: str) -> str:
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, and a new database on the test server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'maasmix.db'}"
    server: str = request.getfixturevalue("postgres_server")
    return _new_database(server)


@pytest.fixture
def storage_app(db_url: str) -> Iterator[Callable[..., Any]]:
    """``storage_app(keys=..., limits=...)``: an app on ``db_url`` whose jobs run on a
    local Dask cluster of threads (quick to start); started with ``TestClient``."""
    from maasmix.api.app import create_app
    from maasmix.api.deployment import Deployment
    from maasmix.api.jobs import LocalClusterOptions

    def make(**deployment: Any) -> Any:
        app = create_app(Deployment(storage_url=db_url, **deployment))
        app.state.local_cluster = LocalClusterOptions(
            processes=False, n_workers=1, threads_per_worker=2
        )
        return app

    yield make
