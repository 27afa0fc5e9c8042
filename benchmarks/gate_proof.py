"""The A/B gate tested on itself: false alarms on an unchanged tree, detection of a 1.3x
slowdown, both with a CPU-bound process running beside the benchmarks.

``python -m benchmarks.gate_proof`` (about half an hour on the 2-core machine):

1. starts a CPU-bound process (a Python busy loop) that runs until the end, on top of
   whatever else the machine is doing;
2. times the quick set once on that machine (what ``make bench-quick`` runs), on the
   commit under test;
3. runs `benchmarks.compare` ``--runs`` times (default 3) with that commit on both
   sides (``--ref C --b-ref C``: an unchanged tree; the working tree is not used, since
   other work in progress there is not "unchanged"): every verdict should be "within
   noise", none "regressed";
4. runs it ``--runs`` times more with the harness's slowdown hook on side B,
   ``MAASMIX_BENCH_SLOWDOWN=<--slow>`` (default: the router's one-to-all kernel made
   1.3x as slow by a busy wait after each timed call, `benchmarks.conftest`): each run
   should report exactly that benchmark as regressed and nothing else.

Both sides run the commit's own ``benchmarks/`` (``--own-benchmarks``), so edits in the
working tree during the half hour change nothing.

Writes a Markdown summary (false alarms, detections, wall times, the machine's load)
with every comparison's report (``--out``, default ``docs/benchmarks/gate_proof.md``);
exits 1 when a false alarm or a miss happened.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import compare
from benchmarks.quick import QUICK

DEFAULT_SLOW = "test_one_to_all[helsinki]=1.3"
DEFAULT_OUT = compare.ROOT / "docs" / "benchmarks" / "gate_proof.md"


def _busy() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _time_quick(side: compare.Side, out_dir: Path) -> tuple[float, int]:
    """Wall seconds and exit status of one quick-set run (``make bench-quick``'s pytest)."""
    cmd = compare.pytest_command(
        side, compare.default_selection(), out_dir / "quick.json", out_dir / "tmp-quick"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAASMIX_BENCH_")}
    started = time.perf_counter()
    with (out_dir / "quick.log").open("wb") as log:
        proc = subprocess.run(cmd, cwd=side.tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    return time.perf_counter() - started, proc.returncode


def _one(
    commit: str, rounds: int, out_dir: Path, slowdown: str | None
) -> tuple[int, str, dict[str, Any]]:
    args = compare.build_parser().parse_args(
        ["--ref", commit, "--b-ref", commit, "--rounds", str(rounds), "--out-dir", str(out_dir)]
        + ["--own-benchmarks"]
        + (["--slowdown", slowdown] if slowdown else [])
    )
    return compare.compare(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default="HEAD", help="the commit under test")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=compare.DEFAULT_ROUNDS)
    parser.add_argument("--slow", default=DEFAULT_SLOW, help="SUBSTRING=FACTOR for side B")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=compare.ROOT / "reports" / "gate_proof")
    args = parser.parse_args(argv)

    commit = compare.resolve_ref(args.commit)
    side = compare.ensure_ref_env(commit)  # its own benchmarks/: the committed harness
    args.work.mkdir(parents=True, exist_ok=True)
    target = args.slow.rpartition("=")[0]
    busy = _busy()
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    try:
        quick_s, quick_status = _time_quick(side, args.work)
        print(f"[gate] quick set: {quick_s:.0f} s (exit {quick_status})", file=sys.stderr)
        plan = [("unchanged", None)] * args.runs + [("slowed", args.slow)] * args.runs
        for kind, slowdown in plan:
            i = len(runs) + 1
            status, report, figures = _one(commit, args.rounds, args.work / f"run{i}", slowdown)
            regressed = [r["name"] for r in figures["rows"] if r["verdict"] == "regressed"]
            runs.append(
                {"kind": kind, "status": status, "regressed": regressed, "report": report}
                | {k: figures[k] for k in ("wall_s", "ab_wall_s", "load_start")}
            )
            print(f"[gate] run {i} ({kind}): exit {status}, regressed {regressed}", file=sys.stderr)
    finally:
        busy.kill()
        busy.wait()
    total_s = time.perf_counter() - started

    def caught(run: dict[str, Any]) -> bool:
        return len(run["regressed"]) == 1 and run["regressed"][0].endswith("::" + target)

    unchanged = [r for r in runs if r["kind"] == "unchanged"]
    slowed = [r for r in runs if r["kind"] == "slowed"]
    false_alarms = sum(len(r["regressed"]) for r in unchanged)
    detections = sum(caught(r) for r in slowed)
    n_bench = len(QUICK)
    lines = [
        "# The A/B gate tested on itself",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by "
        "`python -m benchmarks.gate_proof` "
        f"on commit {commit[:12]} (both sides), {os.cpu_count()} CPUs, with a CPU-bound process "
        "(`python -c 'while True: pass'`) running beside the benchmarks the whole time, on top "
        "of the other work on the machine.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| false alarms on the unchanged tree | {false_alarms} regressions in {len(unchanged)} "
        f"comparisons x {n_bench} benchmarks |",
        f"| injected {args.slow.rpartition('=')[2]}x slowdown of `{target}` caught, naming only "
        f"it | {detections} of {len(slowed)} comparisons |",
        f"| wall time of the quick set (`make bench-quick`'s pytest run) | {quick_s:.0f} s "
        f"(exit {quick_status}) |",
        "| wall time of one `bench-compare` (both sides, "
        f"{args.rounds} rounds each) | " + ", ".join(f"{r['wall_s']:.0f}" for r in runs) + " s |",
        "| load average (1 min) at the start of each comparison | "
        + ", ".join(f"{r['load_start']:.1f}" for r in runs)
        + " |",
        f"| whole proof | {total_s / 60:.1f} min |",
        "",
    ]
    for i, run in enumerate(runs, 1):
        lines += [f"## Comparison {i}: {run['kind']} (exit {run['status']})", ""]
        lines += [
            ("#" + line if line.startswith("# ") else line) for line in run["report"].splitlines()
        ]
        lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    (args.work / "gate_proof.json").write_text(
        json.dumps([{k: v for k, v in r.items() if k != "report"} for r in runs], indent=1)
    )
    print("\n".join(lines[:16]))
    return 0 if false_alarms == 0 and detections == len(slowed) else 1


if __name__ == "__main__":
    sys.exit(main())
