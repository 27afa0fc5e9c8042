"""`Storage`: scenarios (versioned), jobs and their results in one SQL database.

Every write is one transaction: a crash in the middle of one leaves the database as it
was before it (an update that dies half-way leaves the previous version the latest).
Records handed out are frozen dataclasses, detached from any session.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psutil
from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from maasmix.api.storage import migrate
from maasmix.api.storage.models import (
    JobRow,
    OwnerRow,
    ResultRow,
    ScenarioRow,
    ScenarioVersionRow,
)
from maasmix.errors import MaasmixError

__all__ = [
    "ACTIVE_STATES",
    "OWNER_STALE_S",
    "JobRecord",
    "NotFoundError",
    "ResultRecord",
    "ScenarioRecord",
    "Storage",
    "StorageError",
    "VersionRecord",
    "new_id",
]

#: States of a job that is not finished.
ACTIVE_STATES = ("queued", "running")
#: A job owner on another host whose heartbeat is older than this is taken as dead (s).
OWNER_STALE_S = 60.0
#: Most rows a list answers.
MAX_LIST = 1000


class StorageError(MaasmixError):
    """The database cannot be opened or used (bad URL, unreachable server)."""


class NotFoundError(MaasmixError):
    """No stored thing with that id (or version)."""


def new_id() -> str:
    """A fresh random id (32 hex digits)."""
    return uuid.uuid4().hex


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class VersionRecord:
    """One version of a scenario, without its body."""

    version: int
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ScenarioRecord:
    """A scenario at one version: the body as stored and its bookkeeping."""

    id: str
    name: str
    version: int
    latest_version: int
    body: dict[str, Any]
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class JobRecord:
    """A job as stored (``progress`` from 0 to 1)."""

    id: str
    kind: str
    scenario_id: str | None
    scenario_version: int | None
    params: dict[str, Any]
    state: str
    progress: float
    message: str | None
    error: str | None
    owner_id: str | None
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    has_result: bool = False


@dataclass(frozen=True)
class ResultRecord:
    """A finished job's answer, with the scenario version it came from."""

    job_id: str
    scenario_id: str | None
    scenario_version: int | None
    body: dict[str, Any]
    report_html: str | None
    created_at: dt.datetime


def _scenario(row: ScenarioRow, version: ScenarioVersionRow) -> ScenarioRecord:
    return ScenarioRecord(
        id=row.id,
        name=row.name,
        version=version.version,
        latest_version=row.latest_version,
        body=version.body,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _job(row: JobRow, has_result: bool = False) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        scenario_id=row.scenario_id,
        scenario_version=row.scenario_version,
        params=dict(row.params),
        state=row.state,
        progress=row.progress,
        message=row.message,
        error=row.error,
        owner_id=row.owner_id,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        has_result=has_result,
    )


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError("not a database URL (sqlite:///FILE or postgresql://...)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if not parsed.drivername.startswith(("sqlite", "postgresql")):
        raise StorageError(f"unsupported database {parsed.drivername!r} (sqlite or postgresql)")
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot use this database URL: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _process_started(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


class Storage:
    """Scenarios, jobs and results in the database at ``url`` (``sqlite:///FILE`` or
    ``postgresql://user@host/db``; psycopg 3). The schema is migrated to the newest
    revision on opening unless ``migrate`` is False."""

    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        self.url = url
        self.engine = _engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate_schema:
            try:
                migrate.upgrade(self.engine)
            except SQLAlchemyError as exc:
                # another process may have migrated at the same moment
                try:
                    at_head = migrate.current(self.engine) == migrate.head()
                except SQLAlchemyError:
                    at_head = False
                if not at_head:
                    self.engine.dispose()
                    reason = getattr(exc, "orig", None) or exc
                    raise StorageError(f"cannot migrate the database: {reason}") from None

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: committed at the end, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        """Whether the database answers (for readiness checks)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    # scenarios ---------------------------------------------------------------------

    def create_scenario(self, body: dict[str, Any], *, name: str, by: str) -> ScenarioRecord:
        """Store a new scenario at version 1."""
        now = _now()
        row = ScenarioRow(
            id=new_id(),
            name=name,
            latest_version=1,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        version = ScenarioVersionRow(
            scenario_id=row.id, version=1, body=body, created_by=by, created_at=now
        )
        with self._write() as session:
            session.add(row)
            session.flush()
            session.add(version)
        return _scenario(row, version)

    def get_scenario(self, scenario_id: str, version: int | None = None) -> ScenarioRecord:
        """A scenario at ``version`` (default: its latest); `NotFoundError` if absent."""
        with self._sessions() as session:
            row = session.get(ScenarioRow, scenario_id)
            if row is None:
                raise NotFoundError(f"no scenario {scenario_id}")
            number = row.latest_version if version is None else version
            found = session.get(ScenarioVersionRow, (scenario_id, number))
            if found is None:
                raise NotFoundError(
                    f"scenario {scenario_id} has no version {number} "
                    f"(versions 1 to {row.latest_version})"
                )
            return _scenario(row, found)

    def list_scenarios(self, *, limit: int = 100, offset: int = 0) -> list[ScenarioRecord]:
        """Scenarios at their latest versions, newest change first."""
        with self._sessions() as session:
            rows = session.execute(
                select(ScenarioRow, ScenarioVersionRow)
                .join(
                    ScenarioVersionRow,
                    (ScenarioVersionRow.scenario_id == ScenarioRow.id)
                    & (ScenarioVersionRow.version == ScenarioRow.latest_version),
                )
                .order_by(ScenarioRow.updated_at.desc(), ScenarioRow.id)
                .limit(min(limit, MAX_LIST))
                .offset(offset)
            ).all()
            return [_scenario(row, version) for row, version in rows]

    def count_scenarios(self) -> int:
        """How many scenarios are stored."""
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(ScenarioRow)) or 0)

    def list_versions(self, scenario_id: str) -> list[VersionRecord]:
        """Every version of a scenario, oldest first; `NotFoundError` if absent."""
        with self._sessions() as session:
            if session.get(ScenarioRow, scenario_id) is None:
                raise NotFoundError(f"no scenario {scenario_id}")
            rows = session.scalars(
                select(ScenarioVersionRow)
                .where(ScenarioVersionRow.scenario_id == scenario_id)
                .order_by(ScenarioVersionRow.version)
            ).all()
            return [VersionRecord(r.version, r.created_by, r.created_at) for r in rows]

    def update_scenario(
        self, scenario_id: str, body: dict[str, Any], *, name: str, by: str
    ) -> ScenarioRecord:
        """Store ``body`` as the scenario's next version (the old ones stay readable)."""
        now = _now()
        with self._write() as session:
            row = session.get(ScenarioRow, scenario_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no scenario {scenario_id}")
            number = row.latest_version + 1
            version = ScenarioVersionRow(
                scenario_id=scenario_id, version=number, body=body, created_by=by, created_at=now
            )
            session.add(version)
            session.flush()
            row.latest_version = number
            row.name = name
            row.updated_at = now
            session.flush()
            record = _scenario(row, version)
        return record

    def delete_scenario(self, scenario_id: str) -> None:
        """Delete a scenario and all its versions (its jobs and results stay readable)."""
        with self._write() as session:
            row = session.get(ScenarioRow, scenario_id)
            if row is None:
                raise NotFoundError(f"no scenario {scenario_id}")
            session.delete(row)

    # jobs --------------------------------------------------------------------------

    def create_job(
        self,
        kind: str,
        scenario: ScenarioRecord | None,
        params: dict[str, Any],
        *,
        by: str,
        owner_id: str | None,
    ) -> JobRecord:
        """A new ``queued`` job on ``scenario`` at its version (None: a job of no
        scenario, such as ``matrix``)."""
        row = JobRow(
            id=new_id(),
            kind=kind,
            scenario_id=None if scenario is None else scenario.id,
            scenario_version=None if scenario is None else scenario.version,
            params=params,
            state="queued",
            progress=0.0,
            owner_id=owner_id,
            created_by=by,
            created_at=_now(),
        )
        with self._write() as session:
            session.add(row)
        return _job(row)

    def get_job(self, job_id: str) -> JobRecord:
        """A job; `NotFoundError` if absent."""
        with self._sessions() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFoundError(f"no job {job_id}")
            has_result = session.get(ResultRow, job_id) is not None
            return _job(row, has_result)

    def list_jobs(
        self,
        *,
        scenario_id: str | None = None,
        state: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        """Jobs, newest first, optionally of one scenario or in one state."""
        query = select(JobRow)
        if scenario_id is not None:
            query = query.where(JobRow.scenario_id == scenario_id)
        if state is not None:
            query = query.where(JobRow.state == state)
        query = query.order_by(JobRow.created_at.desc(), JobRow.id)
        with self._sessions() as session:
            rows = session.scalars(query.limit(min(limit, MAX_LIST)).offset(offset)).all()
            return [_job(r) for r in rows]

    def active_jobs(self, *, by: str | None = None, owner_id: str | None = None) -> list[JobRecord]:
        """Queued and running jobs, of one key (``by``) or one owner when given."""
        query = select(JobRow).where(JobRow.state.in_(ACTIVE_STATES))
        if by is not None:
            query = query.where(JobRow.created_by == by)
        if owner_id is not None:
            query = query.where(JobRow.owner_id == owner_id)
        with self._sessions() as session:
            return [_job(r) for r in session.scalars(query).all()]

    def count_jobs_by_state(self) -> dict[str, int]:
        """Jobs per state (for metrics)."""
        with self._sessions() as session:
            rows = session.execute(select(JobRow.state, func.count()).group_by(JobRow.state))
            return {state: int(n) for state, n in rows}

    def _move(self, job_id: str, states: tuple[str, ...], **values: Any) -> bool:
        """Set ``values`` on the job if it is in one of ``states``; whether it was."""
        with self._write() as session:
            done = session.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.state.in_(states)).values(**values)
            )
            return bool(getattr(done, "rowcount", 0))

    def mark_running(self, job_id: str) -> bool:
        """``queued`` -> ``running``."""
        return self._move(job_id, ("queued",), state="running", started_at=_now())

    def set_progress(self, job_id: str, progress: float, message: str | None = None) -> bool:
        """Progress (clipped to 0..1) and a short message of an active job."""
        value = min(1.0, max(0.0, float(progress)))
        return self._move(job_id, ACTIVE_STATES, progress=value, message=message)

    def finish_job(self, job_id: str, body: dict[str, Any], report_html: str | None) -> bool:
        """Store the result with the job's scenario version and mark the job ``done``
        (in one transaction; nothing is stored when the job is no longer active)."""
        now = _now()
        with self._write() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or row.state not in ACTIVE_STATES:
                return False
            session.add(
                ResultRow(
                    job_id=job_id,
                    scenario_id=row.scenario_id,
                    scenario_version=row.scenario_version,
                    body=body,
                    report_html=report_html,
                    created_at=now,
                )
            )
            row.state = "done"
            row.progress = 1.0
            row.finished_at = now
            row.started_at = row.started_at or now
        return True

    def fail_job(self, job_id: str, error: str) -> bool:
        """An active job -> ``failed`` with ``error``."""
        return self._move(
            job_id, ACTIVE_STATES, state="failed", error=error[:4000], finished_at=_now()
        )

    def cancel_job(self, job_id: str) -> JobRecord:
        """An active job -> ``cancelled`` (a finished one is left as it is)."""
        self._move(
            job_id,
            ACTIVE_STATES,
            state="cancelled",
            error="cancelled on request",
            finished_at=_now(),
        )
        return self.get_job(job_id)

    def get_result(self, job_id: str) -> ResultRecord:
        """A job's stored result; `NotFoundError` if the job has none (yet)."""
        with self._sessions() as session:
            row = session.get(ResultRow, job_id)
            if row is None:
                raise NotFoundError(f"job {job_id} has no result")
            return ResultRecord(
                row.job_id,
                row.scenario_id,
                row.scenario_version,
                row.body,
                row.report_html,
                row.created_at,
            )

    # owners ------------------------------------------------------------------------

    def register_owner(self) -> str:
        """Record this process as a job owner; its id."""
        pid = os.getpid()
        now = _now()
        row = OwnerRow(
            id=new_id(),
            host=socket.gethostname()[:255],
            pid=pid,
            process_started=_process_started(pid) or 0.0,
            started_at=now,
            heartbeat_at=now,
        )
        with self._write() as session:
            session.add(row)
        return row.id

    def heartbeat(self, owner_id: str) -> None:
        """This owner is alive now."""
        with self._write() as session:
            session.execute(
                update(OwnerRow).where(OwnerRow.id == owner_id).values(heartbeat_at=_now())
            )

    def _alive(self, owner: OwnerRow | None, now: dt.datetime) -> bool:
        if owner is None:
            return False
        if owner.host == socket.gethostname()[:255]:
            started = _process_started(owner.pid)
            return started is not None and abs(started - owner.process_started) < 1.0
        return (now - owner.heartbeat_at).total_seconds() < OWNER_STALE_S

    def interrupt_owned(self, owner_id: str, reason: str) -> int:
        """Mark ``interrupted`` the active jobs of ``owner_id``; how many."""
        with self._write() as session:
            done = session.execute(
                update(JobRow)
                .where(JobRow.owner_id == owner_id, JobRow.state.in_(ACTIVE_STATES))
                .values(state="interrupted", error=reason, finished_at=_now())
            )
            return int(getattr(done, "rowcount", 0))

    def interrupt_orphans(self, *, keep: str | None = None) -> list[str]:
        """Mark ``interrupted`` every queued or running job whose owner process is gone
        (on this host: no such process; elsewhere: no heartbeat for `OWNER_STALE_S`);
        jobs of owner ``keep`` are left alone. The ids of the jobs marked."""
        now = _now()
        marked: list[str] = []
        with self._write() as session:
            rows = session.scalars(
                select(JobRow).where(JobRow.state.in_(ACTIVE_STATES)).with_for_update()
            ).all()
            owners: dict[str | None, bool] = {}
            for row in rows:
                if row.owner_id == keep and keep is not None:
                    continue
                if row.owner_id not in owners:
                    owner = None if row.owner_id is None else session.get(OwnerRow, row.owner_id)
                    owners[row.owner_id] = self._alive(owner, now)
                if owners[row.owner_id]:
                    continue
                row.state = "interrupted"
                row.error = "the server process running this job stopped before it finished"
                row.finished_at = now
                marked.append(row.id)
        return marked
