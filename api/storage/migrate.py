"""Schema migrations (Alembic, shipped in ``migrations/``): `upgrade` to the newest
schema (what `maasmix.api.storage.Storage` does on opening), `downgrade` back to a
revision (``"base"``: no tables), `current` revision of a database."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

__all__ = ["MIGRATIONS", "current", "downgrade", "head", "upgrade"]

#: The folder of the migration scripts.
MIGRATIONS = Path(__file__).with_name("migrations")


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head() -> str:
    """The newest revision shipped."""
    script = ScriptDirectory.from_config(_config_without_engine())
    revision = script.get_current_head()
    assert revision is not None
    return revision


def _config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: no maasmix tables yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


#: The PostgreSQL advisory lock key held while migrating.
PG_LOCK_KEY = 0x6D61_6173  # "maas"


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A transaction that no other process migrates beside: an advisory lock on
    PostgreSQL, a lock file next to a SQLite database file."""
    database = engine.url.database or ""
    if engine.dialect.name == "sqlite" and database and not database.startswith(":memory:"):
        with Path(f"{database}.migrate.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                with engine.begin() as conn:
                    yield conn
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        yield conn


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (several processes may call it at once:
    one migrates, the others then find it done)."""
    config = _config(engine)
    with _locked(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (``"base"``: drop every table)."""
    config = _config(engine)
    with _locked(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
