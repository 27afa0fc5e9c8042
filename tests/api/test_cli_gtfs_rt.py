"""`maasmix plan --gtfs-rt`: plans on the live timetable, what was not applied on stderr."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from maasmix.api.cli import app as cli
from tests.feeds.rt_builders import Tu, encode

pytestmark = pytest.mark.slow


def _rides(stdout: str) -> list[dict[str, object]]:
    body = json.loads(stdout)
    return [leg for it in body["itineraries"] for leg in it["legs"] if leg.get("trip") is not None]


def test_plan_with_gtfs_rt(dataset: Callable[..., Path], tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "plan",
        "--gtfs", str(dataset("gtfs-milan", "milano_small_gtfs.zip")),
        "--from", "45.4608,9.1904", "--to", "45.4394,9.1521",
        "--at", "2014-10-20T08:00", "--modes", "WALK,TRANSIT", "--json",
        "--cache-dir", str(tmp_path),
    ]  # fmt: skip
    static = runner.invoke(cli, args)
    assert static.exit_code == 0, static.output
    rides = _rides(static.stdout)
    assert rides
    first = rides[0]["trip"]
    assert isinstance(first, dict)
    cancel = tmp_path / "cancel.pb"
    cancel.write_bytes(
        encode(
            [
                Tu(str(first["gtfsId"]), rel="CANCELED", start_date="20141020"),
                Tu("no-such-trip", delay=60),
            ],
            timestamp=int(time.time()) - 3 * 3600,
        )
    )
    live = runner.invoke(cli, [*args, "--gtfs-rt", str(cancel)])
    assert live.exit_code == 0, live.output
    keys = {leg["trip"]["tripKey"] for leg in _rides(live.stdout)}  # type: ignore[index]
    assert keys and first["tripKey"] not in keys  # the cancelled trip is not planned
    assert "1 unknown trip(s) (no-such-trip)" in live.stderr
    assert "stale feed" in live.stderr  # applied all the same
    broken = tmp_path / "broken.pb"
    broken.write_bytes(cancel.read_bytes()[:-3])
    bad = runner.invoke(cli, [*args, "--gtfs-rt", str(broken)])
    assert bad.exit_code == 2
    assert "corrupt or truncated" in bad.output and "Traceback" not in bad.output
