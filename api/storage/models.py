"""The stored tables (SQLAlchemy 2 declarative models); the schema itself is made by the
Alembic migrations in ``migrations/`` (`maasmix.api.storage.migrate`).

=================  =====================================================================
table              rows
=================  =====================================================================
scenarios          one per stored scenario: id, name, latest version, who created it
scenario_versions  every version of every scenario (the body as JSON), never changed
jobs               optimise / frontier / demand runs of a scenario version, and matrix
                   runs of none: state, progress, error, owner
results            a finished job's answer (JSON) and HTML report, with the scenario
                   version it came from (none for a matrix)
owners             the server processes that run jobs (host, pid, heartbeat)
=================  =====================================================================
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "JOB_STATES",
    "Base",
    "JobRow",
    "OwnerRow",
    "ResultRow",
    "ScenarioRow",
    "ScenarioVersionRow",
    "UtcDateTime",
]

#: Every state a job can be in; ``queued`` and ``running`` are the active ones.
JOB_STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp: dt.datetime = value
        return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """The declarative base of maasmix's tables."""


class ScenarioRow(Base):
    """A stored scenario (its bodies are in `ScenarioVersionRow`)."""

    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    latest_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ScenarioVersionRow(Base):
    """One version of a scenario: the whole body as sent (JSON)."""

    __tablename__ = "scenario_versions"

    scenario_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class OwnerRow(Base):
    """A server process that runs jobs: where it runs and when it was last alive."""

    __tablename__ = "owners"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    #: the process's start time (seconds since the epoch), to tell a reused pid apart
    process_started: Mapped[float] = mapped_column(Float)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class JobRow(Base):
    """A job: what it runs on (scenario and version, kept after the scenario is deleted),
    its state, progress (0 to 1) and error, and the server process that runs it."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scenario_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    scenario_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("owners.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_by: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ResultRow(Base):
    """A finished job's answer and its HTML report (None when the kind has none)."""

    __tablename__ = "results"

    job_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    scenario_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    scenario_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    report_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
