"""`benchmarks.compare` on synthetic A/B runs: verdict per benchmark, report, exit status."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import compare
from benchmarks import verdict as vd

LOAD = [1.0, 1.6, 1.1, 1.9, 1.3, 1.2]  # machine load, the same for both rounds of a pair
JITTER = [1.01, 0.99, 1.0, 1.02, 0.98, 1.0]


def _bench(name: str, rounds: list[float], timer: str = "cpu", **info: Any) -> dict[str, Any]:
    return {
        "name": name,
        "fullname": f"benchmarks/test_x.py::{name}",
        "stats": {"median": sorted(rounds)[len(rounds) // 2], "rounds": len(rounds)},
        "extra_info": {"round_s": rounds, "timer": timer, "peak_rss_mib": 100.0, **info},
    }


def _run(*benches: dict[str, Any]) -> dict[str, Any]:
    return {"benchmarks": list(benches)}


def _ab(factors: dict[str, float]) -> tuple[dict[str, Any], dict[str, Any]]:
    a = _run(*(_bench(n, [0.2 * x for x in LOAD]) for n in factors))
    b = _run(
        *(
            _bench(n, [0.2 * x * f * j for x, j in zip(LOAD, JITTER, strict=True)])
            for n, f in factors.items()
        )
    )
    return a, b


def _verdicts(rows: list[compare.Row]) -> dict[str, str]:
    return {r.name.split("::")[-1]: r.verdict for r in rows}


def test_only_the_slowed_benchmark_regresses_and_the_exit_status_says_so() -> None:
    a, b = _ab({"kernel": 1.3, "same": 1.0, "faster": 0.7})
    rows = compare.analyse(a, b)
    assert _verdicts(rows) == {"kernel": vd.REGRESSED, "same": vd.NOISE, "faster": vd.IMPROVED}
    assert compare.exit_status(rows) == 1
    report = compare.markdown(rows)
    assert "| `benchmarks/test_x.py::kernel` | cpu | 6 |" in report
    assert "REGRESSED" in report
    assert "3 benchmarks: 1 regressed, 1 improved, 1 within noise, 0 not compared." in report


def test_a_band_widens_one_benchmark_only() -> None:
    a, b = _ab({"kernel": 1.3, "other": 1.3})
    rows = compare.analyse(a, b, bands={"kernel": 0.5})
    assert _verdicts(rows) == {"kernel": vd.NOISE, "other": vd.REGRESSED}
    assert [r.threshold for r in rows] == [0.5, 0.15]


def test_no_regression_is_exit_0_and_an_incomplete_comparison_is_exit_2() -> None:
    a, b = _ab({"x": 1.0, "y": 1.02})
    assert compare.exit_status(compare.analyse(a, b)) == 0
    assert compare.exit_status(compare.analyse(a, b), complete=False) == 2
    b["benchmarks"].pop()
    rows = compare.analyse(a, b)
    assert _verdicts(rows) == {"x": vd.NOISE, "y": "missing on B"}
    assert compare.exit_status(rows) == 2
    short = compare.analyse(_run(_bench("z", [1.0, 1.0])), _run(_bench("z", [1.0, 1.0])))
    assert _verdicts(short) == {"z": vd.TOO_FEW} and compare.exit_status(short) == 2


def test_the_report_names_the_timer_and_flags_differing_timers_and_the_hook() -> None:
    a = _run(_bench("w", [1.0, 1.1, 1.2], timer="wall"))
    b = _run(_bench("w", [1.0, 1.1, 1.2], timer="cpu", injected_slowdown=1.3))
    (row,) = compare.analyse(a, b)
    assert row.timer == "cpu"
    assert row.notes == ["timers differ: A wall, B cpu", "slowdown x1.3 injected on B"]


def test_bands_parse_and_refuse_bad_input() -> None:
    assert compare._bands(["test_a[x=1]=0.3"]) == {"test_a[x=1]": 0.3}
    with pytest.raises(compare.CompareError, match="NAME=FRACTION"):
        compare._bands(["0.3"])
