"""Stored scenarios, jobs and results on SQLite and on a real PostgreSQL server:
migrations both ways, versions kept, a crash in the middle of a write, restarts, and
jobs of a dead server process marked interrupted."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from maasmix.api.storage import NotFoundError, Storage, StorageError, migrate
from maasmix.api.storage.models import Base, OwnerRow

TABLES = {"scenarios", "scenario_versions", "jobs", "results", "owners"}


@pytest.fixture
def store(db_url: str) -> Iterator[Storage]:
    storage = Storage(db_url)
    yield storage
    storage.close()


def _tables(storage: Storage) -> set[str]:
    return set(sa.inspect(storage.engine).get_table_names()) - {"alembic_version"}


def test_migrations_from_empty_to_head_and_back(db_url: str) -> None:
    storage = Storage(db_url, migrate_schema=False)
    try:
        assert migrate.current(storage.engine) is None
        assert _tables(storage) == set()
        migrate.upgrade(storage.engine)
        assert migrate.current(storage.engine) == migrate.head() == "0002"
        assert _tables(storage) == TABLES
        # the migrations make exactly the tables the models describe
        with storage.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        migrate.downgrade(storage.engine, "base")
        assert migrate.current(storage.engine) is None
        assert _tables(storage) == set()
        migrate.upgrade(storage.engine)  # and up again
        assert _tables(storage) == TABLES
    finally:
        storage.close()


def test_versions_are_kept_and_survive_a_restart(db_url: str) -> None:
    first = Storage(db_url)
    created = first.create_scenario({"name": "a", "n": 1}, name="a", by="app")
    second = first.update_scenario(created.id, {"name": "b", "n": 2}, name="b", by="ops")
    first.close()
    assert (created.version, second.version, second.latest_version) == (1, 2, 2)

    again = Storage(db_url)  # a new engine on the same database: already at head
    try:
        latest = again.get_scenario(created.id)
        assert (latest.version, latest.name, latest.body) == (2, "b", {"name": "b", "n": 2})
        old = again.get_scenario(created.id, 1)
        assert (old.version, old.latest_version, old.body) == (1, 2, {"name": "a", "n": 1})
        assert [(v.version, v.created_by) for v in again.list_versions(created.id)] == [
            (1, "app"),
            (2, "ops"),
        ]
        assert latest.created_at.tzinfo is not None
        assert latest.updated_at >= latest.created_at
        assert [s.id for s in again.list_scenarios()] == [created.id]
        assert again.count_scenarios() == 1
        with pytest.raises(NotFoundError, match="no version 3"):
            again.get_scenario(created.id, 3)
        again.delete_scenario(created.id)
        with pytest.raises(NotFoundError):
            again.get_scenario(created.id)
        with pytest.raises(NotFoundError):
            again.list_versions(created.id)
        with pytest.raises(NotFoundError):
            again.delete_scenario(created.id)
        assert again.count_scenarios() == 0
    finally:
        again.close()


def test_a_crash_in_the_middle_of_an_update_leaves_the_previous_version(store: Storage) -> None:
    created = store.create_scenario({"n": 1}, name="a", by="app")

    def crash(session: Any, _: Any) -> None:  # after the new version row is written
        raise RuntimeError("the process died here")

    sa.event.listen(store._sessions, "after_flush", crash)
    with pytest.raises(RuntimeError, match="died"):
        store.update_scenario(created.id, {"n": 2}, name="b", by="app")
    sa.event.remove(store._sessions, "after_flush", crash)
    latest = store.get_scenario(created.id)
    assert (latest.version, latest.latest_version, latest.body, latest.name) == (
        1,
        1,
        {"n": 1},
        "a",
    )
    assert [v.version for v in store.list_versions(created.id)] == [1]
    # the next update takes version 2 as if nothing had happened
    assert store.update_scenario(created.id, {"n": 2}, name="b", by="app").version == 2


def test_job_lifecycle_stores_the_result_with_its_scenario_version(store: Storage) -> None:
    owner = store.register_owner()
    scenario = store.create_scenario({"n": 1}, name="a", by="app")
    scenario = store.update_scenario(scenario.id, {"n": 2}, name="a", by="app")
    job = store.create_job("optimise", scenario, {"points": 3}, by="app", owner_id=owner)
    assert (job.state, job.progress, job.scenario_version) == ("queued", 0.0, 2)
    assert store.mark_running(job.id) and not store.mark_running(job.id)
    assert store.set_progress(job.id, 1.7, "half")
    assert store.get_job(job.id).progress == 1.0
    assert store.finish_job(job.id, {"value": 3}, "<html></html>")
    done = store.get_job(job.id)
    assert (done.state, done.has_result, done.params) == ("done", True, {"points": 3})
    result = store.get_result(job.id)
    assert (result.scenario_id, result.scenario_version, result.body) == (
        scenario.id,
        2,
        {"value": 3},
    )
    # a finished job is neither cancelled nor finished twice
    assert store.cancel_job(job.id).state == "done"
    assert not store.finish_job(job.id, {"value": 4}, None)
    assert not store.fail_job(job.id, "late")
    # the result outlives the scenario
    store.delete_scenario(scenario.id)
    assert store.get_result(job.id).body == {"value": 3}

    other = store.create_scenario({"n": 1}, name="b", by="app")
    failing = store.create_job("frontier", other, {}, by="app", owner_id=owner)
    assert store.fail_job(failing.id, "ScenarioError: bad")
    assert (store.get_job(failing.id).state, store.get_job(failing.id).error) == (
        "failed",
        "ScenarioError: bad",
    )
    cancelled = store.cancel_job(store.create_job("demand", other, {}, by="app", owner_id=owner).id)
    assert cancelled.state == "cancelled" and cancelled.finished_at is not None
    with pytest.raises(NotFoundError):
        store.get_result(cancelled.id)
    assert store.count_jobs_by_state() == {"done": 1, "failed": 1, "cancelled": 1}


def test_jobs_of_dead_owners_are_interrupted(store: Storage) -> None:
    alive = store.register_owner()  # this process
    scenario = store.create_scenario({"n": 1}, name="a", by="app")
    # a server process that has exited since
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(ended.stdout)
    now = dt.datetime.now(dt.UTC)
    with store._sessions() as session, session.begin():
        session.add(
            OwnerRow(
                id="d" * 32,
                host=__import__("socket").gethostname(),
                pid=dead_pid,
                process_started=1.0,
                started_at=now,
                heartbeat_at=now,
            )
        )
        # a server on another host, silent for ten minutes
        session.add(
            OwnerRow(
                id="e" * 32,
                host="elsewhere.invalid",
                pid=1,
                process_started=1.0,
                started_at=now,
                heartbeat_at=now - dt.timedelta(minutes=10),
            )
        )
        # a server on another host that beat a moment ago
        session.add(
            OwnerRow(
                id="f" * 32,
                host="elsewhere.invalid",
                pid=2,
                process_started=1.0,
                started_at=now,
                heartbeat_at=now,
            )
        )
    jobs = {
        name: store.create_job("optimise", scenario, {}, by="app", owner_id=owner)
        for name, owner in [
            ("alive", alive),
            ("dead", "d" * 32),
            ("stale", "e" * 32),
            ("remote", "f" * 32),
        ]
    }
    store.mark_running(jobs["dead"].id)
    finished = store.create_job("optimise", scenario, {}, by="app", owner_id="d" * 32)
    store.finish_job(finished.id, {}, None)
    marked = store.interrupt_orphans(keep=None)
    assert sorted(marked) == sorted([jobs["dead"].id, jobs["stale"].id])
    assert store.get_job(jobs["dead"].id).state == "interrupted"
    assert "stopped" in (store.get_job(jobs["dead"].id).error or "")
    assert store.get_job(jobs["alive"].id).state == "queued"
    assert store.get_job(jobs["remote"].id).state == "queued"
    assert store.get_job(finished.id).state == "done"
    assert store.interrupt_owned(alive, "stopping") == 1
    assert store.get_job(jobs["alive"].id).state == "interrupted"


def test_bad_urls_are_clear_errors(tmp_path: Any) -> None:
    with pytest.raises(StorageError, match="not a database URL"):
        Storage("not a url")
    with pytest.raises(StorageError, match="unsupported database 'mysql"):
        Storage("mysql://x@localhost/db")


def _open_and_count(url: str) -> int:
    storage = Storage(url)
    try:
        return len(storage.list_scenarios())
    finally:
        storage.close()


def test_processes_opening_a_new_database_at_once_migrate_it_once(db_url: str) -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(3) as pool:
        assert list(pool.map(_open_and_count, [db_url] * 3)) == [0, 0, 0]
    storage = Storage(db_url, migrate_schema=False)
    try:
        assert migrate.current(storage.engine) == migrate.head()
        assert _tables(storage) == TABLES
    finally:
        storage.close()
