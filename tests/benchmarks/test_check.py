"""The regression check (`benchmarks.check`): normalisation, verdicts, baselines, and a
real run of the harness showing that an unchanged re-run passes and a slowdown fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import check

ROOT = Path(__file__).resolve().parents[2]


def _bench(name: str, median: float, **info: Any) -> dict[str, Any]:
    module = "test_bench_calibration.py" if name.startswith("test_calibration") else "test_x.py"
    return {
        "name": name,
        "fullname": f"benchmarks/{module}::{name}",
        "stats": {"median": median, "rounds": 5},
        "extra_info": info,
    }


def _run(scale: float = 1.0, **medians: float) -> dict[str, Any]:
    """A run whose machine is ``scale`` times slower, with the given benchmark medians."""
    benches = [_bench("test_calibration_start", 0.1 * scale)]
    benches += [_bench(n, m * scale, rss_growth_mib=10.0) for n, m in medians.items()]
    benches.append(_bench("test_calibration_end", 0.1 * scale))
    return {"benchmarks": benches, "datetime": "2026-01-01T00:00:00", "commit_info": {}}


def _statuses(verdicts: list[check.Verdict]) -> dict[str, str]:
    return {v.name.split("::")[-1]: v.status for v in verdicts}


def test_a_slower_machine_is_not_a_regression() -> None:
    base = check.make_baseline(_run(a=1.0, b=0.02))
    verdicts = check.compare(_run(1.6, a=1.0, b=0.02), base)
    assert _statuses(verdicts) == {
        "test_calibration_start": "excluded: calibration",
        "a": "ok",
        "b": "ok",
        "test_calibration_end": "excluded: calibration",
    }
    assert not check.failed(verdicts)


def test_a_regression_over_the_threshold_fails_and_under_it_passes() -> None:
    base = check.make_baseline(_run(a=1.0, b=1.0))
    verdicts = check.compare(_run(a=1.2, b=1.1), base, threshold=0.15)
    assert _statuses(verdicts)["a"] == "REGRESSED"
    assert _statuses(verdicts)["b"] == "ok"
    assert check.failed(verdicts)
    assert _statuses(check.compare(_run(a=0.5, b=1.0), base))["a"] == "faster"


def test_per_benchmark_threshold_in_the_baseline_wins_and_survives_a_rewrite() -> None:
    base = check.make_baseline(_run(a=1.0))
    base["benchmarks"]["benchmarks/test_x.py::a"]["threshold"] = 0.5
    assert not check.failed(check.compare(_run(a=1.4), base, threshold=0.15))
    rewritten = check.make_baseline(_run(a=1.4), old=base)
    assert rewritten["benchmarks"]["benchmarks/test_x.py::a"]["threshold"] == 0.5
    assert rewritten["benchmarks"]["benchmarks/test_x.py::a"]["normalised"] == pytest.approx(14.0)


def test_peers_time_limits_new_and_missing_benchmarks() -> None:
    run = _run(a=1.0)
    run["benchmarks"].insert(1, _bench("test_peer_nigiri[milan]", 5.0))
    run["benchmarks"].insert(1, _bench("scip", 60.0, status="feasible", gap=0.04))
    run["benchmarks"].insert(1, _bench("frontier", 6.0, statuses=["optimal", "optimal"]))
    base = check.make_baseline(_run(a=1.0, gone=1.0))
    assert "benchmarks/test_x.py::scip" not in check.make_baseline(run)["benchmarks"]
    got = _statuses(check.compare(run, base))
    assert got["test_peer_nigiri[milan]"] == "excluded: peer"
    assert got["scip"] == "excluded: time limit"
    assert got["frontier"] == "new"
    # test_x.py is no file of this repository and the run says nothing: gone
    assert got["gone"] == "MISSING"
    assert check.failed(check.compare(run, base))


def test_a_benchmark_that_disappeared_fails_and_one_not_selected_does_not() -> None:
    base = check.make_baseline(_run(a=1.0, kept=1.0, renamed=1.0))
    run = _run(a=1.0, renamed_now=1.0)
    x = "benchmarks/test_x.py::"
    # collected: `kept` exists (deselected, e.g. by -m quick), `renamed` no longer does
    run["collected"] = {"nodeids": [x + "a", x + "kept", x + "renamed_now"], "files": [x[:-2]]}
    verdicts = check.compare(run, base)
    got = _statuses(verdicts)
    assert (got["kept"], got["renamed"], got["renamed_now"]) == ("not run", "MISSING", "new")
    assert check.failed(verdicts)
    table = check.markdown(verdicts, 0.1, "kind")
    assert "**1 benchmark(s) of the baseline no longer exist** (MISSING)" in table
    # a subset run of another file: an existing benchmark of an uncollected file is not run
    other = {"benchmarks": run["benchmarks"], "collected": {"nodeids": [], "files": []}}
    assert not check.disappeared("benchmarks/test_bench_router.py::test_one_to_all[milan]", other)
    assert check.disappeared("benchmarks/test_bench_gone.py::test_old", other)


def test_few_rounds_get_a_wider_limit_in_a_new_baseline() -> None:
    run = _run(a=1.0)
    run["benchmarks"][1]["stats"]["rounds"] = 1
    entry = check.make_baseline(run)["benchmarks"]["benchmarks/test_x.py::a"]
    assert entry["threshold"] == check.FEW_ROUNDS_THRESHOLD
    assert not check.failed(check.compare(_run(a=1.25), check.make_baseline(run)))


def test_memory_threshold_is_opt_in() -> None:
    base = check.make_baseline(_run(a=1.0))
    run = _run(a=1.0)
    run["benchmarks"][1]["extra_info"]["rss_growth_mib"] = 200.0
    assert not check.failed(check.compare(run, base))
    assert check.failed(check.compare(run, base, memory_threshold=0.25))


def test_a_run_without_calibration_is_refused(tmp_path: Path) -> None:
    run = {"benchmarks": [_bench("a", 1.0)]}
    with pytest.raises(ValueError, match="calibration"):
        check.calibration_seconds(run)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    assert check.main([str(path), "--baseline", str(tmp_path / "b.json")]) == 2


def test_missing_baseline_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(_run(a=1.0)))
    assert check.main([str(path), "--baseline", str(tmp_path / "none.json")]) == 2
    assert "make bench-baseline" in capsys.readouterr().err


def test_cli_writes_then_checks_and_prints_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, slow = tmp_path / "run.json", tmp_path / "slow.json"
    run.write_text(json.dumps(_run(a=1.0)))
    slow.write_text(json.dumps(_run(a=1.5)))
    baseline = tmp_path / "kind.json"
    assert check.main([str(run), "--baseline", str(baseline), "--write-baseline"]) == 0
    assert json.loads(baseline.read_text())["threshold"] == check.DEFAULT_THRESHOLD
    assert check.main([str(run), "--baseline", str(baseline)]) == 0
    report = tmp_path / "check.md"
    assert check.main([str(slow), "--baseline", str(baseline), "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert "| `benchmarks/test_x.py::a` |" in out and "REGRESSED" in out
    assert "1 compared, 1 regressed." in report.read_text()


# -- the harness end to end: real benchmarks, run three times ---------------------------

SUBSET = [
    "benchmarks/test_bench_calibration.py",
    "benchmarks/test_bench_feeds.py::test_baywheels_cold",
    "benchmarks/test_bench_router.py::test_one_to_all",
]


def _bench_run(out: Path, slowdown: str | None = None) -> None:
    # a pytest-xdist worker's variables would make the inner run disable its benchmarks
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "MAASMIX_BENCH_SLOWDOWN" and not k.startswith("PYTEST_XDIST")
    }
    if slowdown:
        env["MAASMIX_BENCH_SLOWDOWN"] = slowdown
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *SUBSET,
            "--benchmark-enable",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--benchmark-json={out}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.slow
def test_unchanged_rerun_passes_and_injected_slowdown_fails(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    _bench_run(tmp_path / "a.json")
    assert (
        check.main([str(tmp_path / "a.json"), "--baseline", str(baseline), "--write-baseline"]) == 0
    )

    # unchanged tree: passes (one retry, since the 2 cores are shared with other work)
    _bench_run(tmp_path / "b.json")
    status = check.main([str(tmp_path / "b.json"), "--baseline", str(baseline)])
    if status != 0:
        _bench_run(tmp_path / "b2.json")
        status = check.main([str(tmp_path / "b2.json"), "--baseline", str(baseline)])
    assert status == 0, capsys.readouterr().out
    capsys.readouterr()

    # the one-to-all benchmark made twice as slow by the harness's hook: fails, naming it
    _bench_run(tmp_path / "c.json", slowdown="test_one_to_all=2.0")
    run = json.loads((tmp_path / "c.json").read_text())
    slowed = [b for b in run["benchmarks"] if "injected_slowdown" in b["extra_info"]]
    assert {b["name"] for b in slowed} == {"test_one_to_all[helsinki]", "test_one_to_all[milan]"}
    assert check.main([str(tmp_path / "c.json"), "--baseline", str(baseline)]) == 1
    table = capsys.readouterr().out
    regressed = [ln for ln in table.splitlines() if "REGRESSED" in ln]
    assert len(regressed) == 2 and all("test_one_to_all" in ln for ln in regressed)
    assert "test_baywheels_cold` |" in table
