"""Storage of jobs of no scenario (``matrix``), migration 0002, on SQLite and PostgreSQL:
up from 0001 keeps every job and result (SQLite copies the tables: the results must not
be lost to the cascade from ``jobs``), a scenario-less job and its result are stored
and read back, down to 0001 deletes only those and makes the columns required again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from maasmix.api.storage import Storage, migrate
from maasmix.api.storage.models import JobRow


def _nullable(storage: Storage) -> dict[tuple[str, str], bool]:
    inspector = sa.inspect(storage.engine)
    return {
        (table, c["name"]): bool(c["nullable"])
        for table in ("jobs", "results")
        for c in inspector.get_columns(table)
        if c["name"] in ("scenario_id", "scenario_version")
    }


def test_migration_0002_up_and_down_keeps_scenario_jobs(db_url: str) -> None:
    storage = Storage(db_url, migrate_schema=False)
    try:
        migrate.upgrade(storage.engine, "0001")
        assert set(_nullable(storage).values()) == {False}
        scenario = storage.create_scenario({"name": "s"}, name="s", by="app")
        old = storage.create_job("optimise", scenario, {}, by="app", owner_id=None)
        assert storage.finish_job(old.id, {"answer": 1}, "<html></html>")

        migrate.upgrade(storage.engine)
        assert migrate.current(storage.engine) == "0002"
        assert set(_nullable(storage).values()) == {True}
        kept = storage.get_result(old.id)  # not lost to the cascade of the copied table
        assert (kept.scenario_id, kept.scenario_version, kept.body) == (
            scenario.id,
            1,
            {"answer": 1},
        )
        assert kept.report_html == "<html></html>"
        matrix = storage.create_job("matrix", None, {"cells": 4}, by="app", owner_id=None)
        assert (matrix.kind, matrix.scenario_id, matrix.scenario_version) == ("matrix", None, None)
        assert storage.finish_job(matrix.id, {"rows": []}, None)
        got = storage.get_job(matrix.id)
        assert (got.state, got.has_result, got.scenario_id) == ("done", True, None)
        result = storage.get_result(matrix.id)
        assert (result.scenario_id, result.scenario_version, result.body) == (
            None,
            None,
            {"rows": []},
        )
        assert {j.id for j in storage.list_jobs()} == {old.id, matrix.id}

        migrate.downgrade(storage.engine, "0001")
        assert set(_nullable(storage).values()) == {False}
        assert [j.id for j in storage.list_jobs()] == [old.id]
        assert storage.get_result(old.id).body == {"answer": 1}
        with pytest.raises(sa.exc.IntegrityError), storage.engine.begin() as conn:
            conn.execute(
                sa.insert(JobRow.__table__).values(
                    id="f" * 32,
                    kind="matrix",
                    scenario_id=None,
                    scenario_version=None,
                    params={},
                    state="queued",
                    progress=0.0,
                    created_by="app",
                    created_at=old.created_at,
                )
            )
        migrate.upgrade(storage.engine)  # and up again
        assert migrate.current(storage.engine) == "0002"
        assert storage.get_result(old.id).body == {"answer": 1}
    finally:
        storage.close()
