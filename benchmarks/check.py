"""Regression check: a benchmark run against the committed baseline of its machine kind.

``python -m benchmarks.check RUN.json`` (what ``make bench-check`` runs) reads a
pytest-benchmark JSON file and takes every benchmark's *normalised median*: the median
over its rounds of (round time / time of the calibration slice run just before that
round), which the harness stores as ``extra_info["normalised_median"]`` (see
`benchmarks.conftest`); for a run without it, the benchmark's median divided by the
run's calibration median (`benchmarks.calibration`, timed at the start and at the end of
every run; their geometric mean). These are compared with
``benchmarks/baselines/<machine kind>.json``. A benchmark fails when

    normalised median (run) / normalised median (baseline) > 1 + threshold

with a threshold of 15 % unless the baseline gives one for that benchmark. The verdicts
print as a Markdown table; the exit status is 1 when any benchmark regressed or is
MISSING, 2 on bad input (no calibration in the run, no baseline), 0 otherwise.

Not checked (listed as such): the calibration itself; peers (benchmarks whose name says
``peer`` or whose ``extra_info`` has ``"peer"``), since a peer getting slower is not a
regression of maasmix; benchmarks whose solver stopped at its time limit (``extra_info``
``status`` / ``statuses`` other than ``optimal``), since their time is the limit, not the
work; and benchmarks with ``extra_info["check"] = False``. A benchmark of the baseline
that is not in the run is ``not run`` (no failure) only when it still exists: the harness
saves every collected node id and file in the run (``collected``), so a benchmark whose
file was collected but which itself was not, or whose file is gone, is ``MISSING``, and
that fails the check (a renamed benchmark must be re-baselined on purpose, not dropped
silently). New ones are listed as ``new``. Peak memory (``extra_info["rss_growth_mib"]``)
is shown beside the times; ``--memory-threshold`` makes its growth fail too (off by
default: RSS is noisier than time for small figures).

This check against a stored baseline is history (and the plots in ``docs/benchmarks/``):
a baseline written on another day saw another machine load. The regression gate is the
same-session A/B comparison, `benchmarks.compare` (``make bench-compare``).

``--write-baseline`` writes the baseline from the run instead (``make bench-baseline``),
keeping per-benchmark thresholds already in the old baseline; a benchmark timed in fewer
than 3 rounds (the long solver runs) gets a 30 % limit there, since one round has no
median to speak of.

The machine kind is ``$MAASMIX_BENCH_MACHINE`` or ``<system>-<arch>-<n>cpu`` (e.g.
``linux-x86_64-2cpu``): normalising by the calibration absorbs a faster or slower CPU of
the same kind, not a different architecture or core count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE_DIR = Path(__file__).resolve().parent / "baselines"
DEFAULT_THRESHOLD = 0.15
#: A benchmark timed in fewer rounds than this gets `FEW_ROUNDS_THRESHOLD` in a new
#: baseline: one or two rounds have no median to speak of.
MIN_ROUNDS = 3
FEW_ROUNDS_THRESHOLD = 0.30
CALIBRATION_NAMES = ("test_calibration_start", "test_calibration_end")


def machine_kind() -> str:
    """The name of this machine's baseline (``$MAASMIX_BENCH_MACHINE`` overrides)."""
    override = os.environ.get("MAASMIX_BENCH_MACHINE", "").strip()
    if override:
        return override
    return f"{platform.system().lower()}-{platform.machine().lower()}-{os.cpu_count()}cpu"


def default_baseline() -> Path:
    return BASELINE_DIR / f"{machine_kind()}.json"


def latest_saved_run(storage: Path = Path(".benchmarks")) -> Path | None:
    """The newest ``--benchmark-autosave`` file under ``storage`` (None: none)."""
    runs = sorted(storage.glob("*/*.json"), key=lambda p: p.stat().st_mtime)
    return runs[-1] if runs else None


def _is_calibration(bench: dict[str, Any]) -> bool:
    return str(bench.get("name", "")).split("[")[0] in CALIBRATION_NAMES


def calibration_seconds(run: dict[str, Any]) -> float:
    """Geometric mean of the run's calibration medians (start and end of the run)."""
    medians = [float(b["stats"]["median"]) for b in run.get("benchmarks", []) if _is_calibration(b)]
    if not medians:
        raise ValueError(
            "the run has no calibration benchmark (benchmarks/test_bench_calibration.py)"
        )
    return math.exp(sum(math.log(m) for m in medians) / len(medians))


def exclusion(bench: dict[str, Any]) -> str | None:
    """Why a benchmark is not a regression check (None: it is one)."""
    name = str(bench.get("fullname", bench.get("name", "")))
    info = bench.get("extra_info") or {}
    if _is_calibration(bench):
        return "calibration"
    if "peer" in name.lower() or info.get("peer"):
        return "peer"
    if info.get("check") is False:
        return "not a check"
    statuses = [info["status"]] if "status" in info else list(info.get("statuses") or [])
    if any(s != "optimal" for s in statuses):
        return "time limit"
    return None


@dataclass
class Verdict:
    name: str
    status: str  # ok, REGRESSED, faster, new, not run, MISSING, excluded: <why>
    baseline: float | None = None
    current: float | None = None
    threshold: float | None = None
    memory_mib: float | None = None
    baseline_memory_mib: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline and self.current is not None:
            return self.current / self.baseline
        return None


def normalised(run: dict[str, Any]) -> tuple[float, dict[str, dict[str, Any]]]:
    """The run's calibration seconds and, per benchmark fullname, its figures."""
    unit = calibration_seconds(run)
    out: dict[str, dict[str, Any]] = {}
    for bench in run.get("benchmarks", []):
        info = bench.get("extra_info") or {}
        stats = bench["stats"]
        paired = info.get("normalised_median")
        out[bench["fullname"]] = {
            "normalised": float(paired) if paired else float(stats["median"]) / unit,
            "median_s": float(stats["median"]),
            "rounds": int(stats["rounds"]),
            "peak_rss_mib": info.get("peak_rss_mib"),
            "rss_growth_mib": info.get("rss_growth_mib"),
            "excluded": exclusion(bench),
        }
    return unit, out


def compare(
    run: dict[str, Any],
    baseline: dict[str, Any],
    threshold: float = DEFAULT_THRESHOLD,
    memory_threshold: float | None = None,
) -> list[Verdict]:
    """One verdict per benchmark of the run or the baseline, in run order."""
    _, current = normalised(run)
    base: dict[str, dict[str, Any]] = baseline.get("benchmarks", {})
    verdicts: list[Verdict] = []
    for name, fig in current.items():
        ref = base.get(name)
        v = Verdict(name, "ok", current=fig["normalised"], memory_mib=fig["rss_growth_mib"])
        if fig["excluded"]:
            v.status = f"excluded: {fig['excluded']}"
        elif ref is None:
            v.status = "new"
        else:
            v.baseline = float(ref["normalised"])
            v.baseline_memory_mib = ref.get("rss_growth_mib")
            v.threshold = float(ref.get("threshold", threshold))
            ratio = v.ratio or 0.0
            if ratio > 1.0 + v.threshold:
                v.status = "REGRESSED"
            elif ratio < 1.0 / (1.0 + v.threshold):
                v.status = "faster"
            if memory_threshold is not None and _memory_regressed(v, memory_threshold):
                v.status = "REGRESSED" if v.status != "REGRESSED" else v.status
                v.status += " (memory)"
        verdicts.append(v)
    for name, ref in base.items():
        if name not in current:
            status = "MISSING" if disappeared(name, run) else "not run"
            verdicts.append(Verdict(name, status, baseline=float(ref["normalised"])))
    return verdicts


def disappeared(name: str, run: dict[str, Any], root: Path = ROOT) -> bool:
    """Whether benchmark ``name`` (a node id) no longer exists, as far as the run knows:
    its file was collected without it, or its file is gone."""
    file = name.split("::")[0]
    collected = run.get("collected") or {}
    if name in set(collected.get("nodeids") or ()):
        return False
    if file in set(collected.get("files") or ()):
        return True
    return not (root / file).is_file()


def _memory_regressed(v: Verdict, limit: float, floor_mib: float = 16.0) -> bool:
    if v.memory_mib is None or v.baseline_memory_mib is None:
        return False
    grown = v.memory_mib - float(v.baseline_memory_mib)
    return grown > floor_mib and v.memory_mib > float(v.baseline_memory_mib) * (1 + limit)


def failed(verdicts: list[Verdict]) -> bool:
    return any(v.status.startswith("REGRESSED") or v.status == "MISSING" for v in verdicts)


def _fmt(x: float | None, digits: int = 3) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def markdown(verdicts: list[Verdict], unit_s: float, kind: str) -> str:
    """The verdicts as a Markdown table (times in units of the calibration workload)."""
    lines = [
        f"Calibration workload: {unit_s * 1000:.1f} ms on this run; machine kind `{kind}`.",
        "Times are normalised medians: per round, time / calibration slice (see benchmarks.check).",
        "",
        "| benchmark | baseline | this run | ratio | limit | memory MiB | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for v in verdicts:
        limit = f"{1 + v.threshold:.2f}" if v.threshold is not None else ""
        lines.append(
            f"| `{v.name}` | {_fmt(v.baseline)} | {_fmt(v.current)} | {_fmt(v.ratio, 2)} "
            f"| {limit} | {_fmt(v.memory_mib, 1)} | {v.status} |"
        )
    n_bad = sum(v.status.startswith("REGRESSED") for v in verdicts)
    n_checked = sum(v.ratio is not None and not v.status.startswith("excluded") for v in verdicts)
    n_missing = sum(v.status == "MISSING" for v in verdicts)
    lines += ["", f"{n_checked} compared, {n_bad} regressed."]
    if n_missing:
        lines.append(
            f"**{n_missing} benchmark(s) of the baseline no longer exist** (MISSING): renamed or "
            "removed; rewrite the baseline on purpose (`make bench-baseline`)."
        )
    return "\n".join(lines)


def make_baseline(
    run: dict[str, Any], old: dict[str, Any] | None = None, kind: str | None = None
) -> dict[str, Any]:
    """A baseline from a run (per-benchmark thresholds of ``old`` are kept)."""
    unit, figures = normalised(run)
    kept = (old or {}).get("benchmarks", {})
    benches: dict[str, Any] = {}
    for name, fig in figures.items():
        if fig["excluded"]:
            continue
        entry: dict[str, Any] = {
            "normalised": round(fig["normalised"], 6),
            "median_s": round(fig["median_s"], 6),
            "rounds": fig["rounds"],
        }
        if fig["rss_growth_mib"] is not None:
            entry["rss_growth_mib"] = fig["rss_growth_mib"]
        if "threshold" in kept.get(name, {}):
            entry["threshold"] = kept[name]["threshold"]
        elif fig["rounds"] < MIN_ROUNDS:
            entry["threshold"] = FEW_ROUNDS_THRESHOLD
        benches[name] = entry
    commit = run.get("commit_info") or {}
    return {
        "machine_kind": kind or machine_kind(),
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_datetime": run.get("datetime"),
        "commit": commit.get("id"),
        "cpu": (run.get("machine_info") or {}).get("cpu", {}).get("brand_raw"),
        "calibration_s": round(unit, 6),
        "threshold": (old or {}).get("threshold", DEFAULT_THRESHOLD),
        "benchmarks": benches,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "run", nargs="?", help="pytest-benchmark JSON (default: newest under .benchmarks/)"
    )
    parser.add_argument("--baseline", type=Path, help="default: benchmarks/baselines/<kind>.json")
    parser.add_argument("--threshold", type=float, help="default: the baseline's, else 0.15")
    parser.add_argument("--memory-threshold", type=float, default=None)
    parser.add_argument("--write-baseline", action="store_true")
    parser.add_argument("--report", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)

    run_path = Path(args.run) if args.run else latest_saved_run()
    if run_path is None or not run_path.is_file():
        print(
            f"error: no benchmark run to check ({run_path or '.benchmarks/ is empty'}); "
            "run `make bench` first",
            file=sys.stderr,
        )
        return 2
    run = json.loads(run_path.read_text())
    kind = machine_kind()
    baseline_path: Path = args.baseline or default_baseline()
    try:
        unit = calibration_seconds(run)
    except ValueError as exc:
        print(f"error: {run_path}: {exc}", file=sys.stderr)
        return 2

    if args.write_baseline:
        old = json.loads(baseline_path.read_text()) if baseline_path.is_file() else None
        new = make_baseline(run, old, kind)
        if args.threshold is not None:
            new["threshold"] = args.threshold
        baseline_path.parent.mkdir(parents=True, exist_ok=True)
        baseline_path.write_text(json.dumps(new, indent=1, sort_keys=False) + "\n")
        print(
            f"wrote {baseline_path}: {len(new['benchmarks'])} benchmarks, "
            f"calibration {unit * 1000:.1f} ms, from {run_path}"
        )
        return 0

    if not baseline_path.is_file():
        print(
            f"error: no baseline for machine kind {kind!r} ({baseline_path}); "
            "write one with `make bench-baseline`",
            file=sys.stderr,
        )
        return 2
    baseline = json.loads(baseline_path.read_text())
    threshold = (
        args.threshold
        if args.threshold is not None
        else float(baseline.get("threshold", DEFAULT_THRESHOLD))
    )
    verdicts = compare(run, baseline, threshold, args.memory_threshold)
    table = markdown(verdicts, unit, kind)
    print(f"run {run_path} against {baseline_path} (threshold {threshold:.0%})\n")
    print(table)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(table + "\n")
    return 1 if failed(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
