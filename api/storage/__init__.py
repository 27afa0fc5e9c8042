"""Stored scenarios, jobs and results: SQLAlchemy 2 on SQLite (default) or PostgreSQL
(psycopg 3), with the schema made by the Alembic migrations shipped in ``migrations/``.

``Storage(url)`` opens (and migrates) a database; see `maasmix.api.storage.repository`.
"""

from maasmix.api.storage.repository import (
    ACTIVE_STATES,
    JobRecord,
    NotFoundError,
    ResultRecord,
    ScenarioRecord,
    Storage,
    StorageError,
    VersionRecord,
    new_id,
)

__all__ = [
    "ACTIVE_STATES",
    "JobRecord",
    "NotFoundError",
    "ResultRecord",
    "ScenarioRecord",
    "Storage",
    "StorageError",
    "VersionRecord",
    "new_id",
]
