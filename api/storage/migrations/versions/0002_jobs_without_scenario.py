"""Jobs not tied to a scenario (``matrix``): the scenario id and version of jobs and
results may be empty.

SQLite changes a column by copying its table; dropping the old ``jobs`` table would
cascade to ``results`` (foreign keys are on), so the results are kept aside and put back.
The downgrade deletes the jobs (and results) of no scenario first.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = (("scenario_id", sa.String(32)), ("scenario_version", sa.Integer()))


def _alter(nullable: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(sa.text("CREATE TEMP TABLE _maasmix_results AS SELECT * FROM results"))
    for table in ("jobs", "results"):
        with op.batch_alter_table(table) as batch:
            for name, kind in _COLUMNS:
                batch.alter_column(name, existing_type=kind, nullable=nullable)
    if sqlite:
        op.execute(
            sa.text(
                "INSERT INTO results SELECT * FROM _maasmix_results "
                "WHERE job_id NOT IN (SELECT job_id FROM results)"
            )
        )
        op.execute(sa.text("DROP TABLE _maasmix_results"))


def upgrade() -> None:
    """The scenario columns of ``jobs`` and ``results`` become nullable."""
    _alter(nullable=True)


def downgrade() -> None:
    """Delete the jobs (and results) of no scenario, then make the columns required."""
    op.execute(sa.text("DELETE FROM results WHERE scenario_id IS NULL"))
    op.execute(sa.text("DELETE FROM jobs WHERE scenario_id IS NULL"))
    _alter(nullable=False)
