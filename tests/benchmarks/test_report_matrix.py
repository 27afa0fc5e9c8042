"""The matrix-scaling figures and plot (`benchmarks.report.matrix_rows`, `matrix_plot`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks import report


def _bench(name: str, origins: int, **info: Any) -> dict[str, Any]:
    return {
        "name": f"{name}[{origins}]",
        "fullname": f"benchmarks/test_bench_matrix.py::{name}[{origins}]",
        "stats": {"median": 1.0, "rounds": 1},
        "extra_info": {"origins": origins, "destinations": 1000, "departures": 60, **info},
    }


def _run() -> dict[str, Any]:
    cpu = "test_matrix_core_seconds_per_origin"
    wall = "test_matrix_two_workers_wall"
    return {
        "machine_info": {"cpu": {"count": 2}},
        "benchmarks": [
            _bench(
                wall,
                1000,
                workers=2,
                wall_s=20.0,
                workers_cpu_s=25.0,
                main_cpu_s=5.0,
                worker_peak_rss_mib=[300.5, 310.0],
                load_1min=[3.0, 4.5],
            ),
            _bench(cpu, 1000, core_s_per_origin=0.0125, prepare_s=0.1, load_1min=[2.5, 3.0]),
            _bench(cpu, 100, core_s_per_origin=0.013, prepare_s=0.1, load_1min=[2.0, 2.5]),
            {"name": "test_other", "extra_info": {"origins": 7}},
        ],
    }


def test_rows_join_both_benchmarks_per_number_of_origins() -> None:
    rows = report.matrix_rows(_run())
    assert [r["origins"] for r in rows] == [100, 1000]
    assert rows[0] == {
        "origins": 100,
        "destinations": 1000,
        "departures": 60,
        "core_s_per_origin": 0.013,
        "prepare_s": 0.1,
        "cpu_load_1min": [2.0, 2.5],
    }
    big = rows[1]
    assert big["core_s_per_origin"] == 0.0125 and big["wall_s"] == 20.0
    assert big["run_core_s_per_origin"] == 0.03  # (25 + 5) CPU s / 1,000 origins
    assert big["worker_peak_rss_mib"] == [300.5, 310.0]
    assert big["wall_load_1min"] == [3.0, 4.5] and big["cpu_load_1min"] == [2.5, 3.0]


def test_command_writes_the_plot_and_its_figures(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(json.dumps(_run()))
    out = tmp_path / "plots" / "matrix.png"
    assert report.main(["matrix", str(run), str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(out.with_suffix(".json").read_text()) == report.matrix_rows(_run())


def test_a_run_without_matrix_benchmarks_draws_nothing(tmp_path: Path) -> None:
    out = tmp_path / "none.png"
    assert report.matrix_plot({"benchmarks": []}, out) == []
    assert not out.exists()
