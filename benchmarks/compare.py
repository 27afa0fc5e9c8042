"""A/B regression gate: the reference commit and the working tree, alternately, now.

``python -m benchmarks.compare [--ref REF]`` (what ``make bench-compare REF=...`` runs):

1. **REF** defaults to the merge base of ``HEAD`` with the last landed main: ``git
   merge-base HEAD origin/main`` when the remote exists, else ``--last-landed`` (the
   Makefile's ``LAST_LANDED``, the commit recorded as last landed).
2. REF is checked out into a git worktree ``build/bench-ref/<commit>/`` with its own
   virtual environment (``.venv`` there: a plain venv that sees the shared environment's
   third-party packages through a ``.pth`` path line and has REF's ``maasmix``
   installed editable, ``pip install --no-deps -e``); both are kept and reused by the
   next comparison against the same commit. The working tree's ``benchmarks/`` is copied
   into it, so both sides run the *same* benchmark code on their own maasmix.
3. Both sides start at once as two pytest processes of the selected benchmarks (default:
   the quick set, `benchmarks.quick`), each benchmark with the same number of rounds
   on both sides (at least ``--rounds``; the short benchmarks keep their own larger
   counts, up to 11), plus one untimed warm-up call, and take turns round by round through
   `benchmarks.baton` (A1 B1 B2 A2 A3 B3 ...): only one side runs at any moment, and the
   two rounds of a pair see the same machine load.
4. Per benchmark, the paired ratios B / A give a t-interval (`benchmarks.verdict`):
   ``regressed`` only when the whole interval lies above the threshold (15 %, or the
   benchmark's own band from ``--band NAME=0.3``), ``improved`` likewise below,
   otherwise ``within noise`` with the interval shown.

The verdicts print as a Markdown table (``--report`` also writes it; ``--json`` writes
the figures). Exit status: 1 when a benchmark regressed; 2 when the comparison is not
complete (a benchmark missing or failed on one side, too few rounds, a side timed out);
0 otherwise. The timer of each benchmark (process CPU or wall clock) is in the table.

``--b-ref COMMIT`` puts a second commit on side B instead of the working tree (the gate's
own test, `benchmarks.gate_proof`, compares a commit with itself). The slowdown hook
(``MAASMIX_BENCH_SLOWDOWN``, `benchmarks.conftest`) is passed to side B only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import verdict as vd
from benchmarks.baton import AB_ENV, fifo_paths, make_fifos
from benchmarks.quick import QUICK_FILES

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "build" / "bench-ref"
#: The commit recorded as last landed on main (the first commit of the session that has
#: no remote to ask); the Makefile's ``LAST_LANDED`` passes it as ``--last-landed``.
LAST_LANDED = "397d160"
DEFAULT_ROUNDS = 5
DEFAULT_TIMEOUT_S = 3600.0
SLOWDOWN_ENV = "MAASMIX_BENCH_SLOWDOWN"
_READY = ".bench-env-ready"


class CompareError(RuntimeError):
    """The comparison could not be set up (bad REF, no worktree, no environment)."""


def _git(*args: str, cwd: Path = ROOT) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )
    if proc.returncode != 0:
        raise CompareError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def resolve_ref(ref: str | None, last_landed: str = LAST_LANDED) -> str:
    """The full commit id of ``ref``; by default the merge base with the last landed main."""
    if not ref:
        remotes = _git("remote").split()
        if "origin" in remotes:
            try:
                return _git("merge-base", "HEAD", "origin/main")
            except CompareError:
                pass
        ref = last_landed
    return _git("rev-parse", "--verify", f"{ref}^{{commit}}")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: where its tree is and which python runs it."""

    label: str
    tree: Path
    python: Path
    commit: str
    dirty: bool = False


def working_tree_side() -> Side:
    head = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return Side("working tree", ROOT, Path(sys.executable), head, dirty)


def ensure_ref_env(commit: str, log: Any = sys.stderr) -> Side:
    """The worktree and environment of ``commit`` under ``build/bench-ref/`` (made once)."""
    tree = REF_DIR / commit[:12]
    if not (tree / ".git").exists():
        tree.parent.mkdir(parents=True, exist_ok=True)
        print(f"[compare] git worktree {tree} at {commit[:12]}", file=log, flush=True)
        _git("worktree", "add", "--force", "--detach", str(tree), commit)
    venv = tree / ".venv"
    python = venv / "bin" / "python"
    if not (venv / _READY).exists():
        print(f"[compare] environment {venv} (pip install --no-deps -e)", file=log, flush=True)
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        site = Path(
            subprocess.check_output(
                [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                text=True,
            ).strip()
        )
        # the shared environment's packages as a plain path (its .pth files, among them
        # the working tree's editable maasmix, are not processed)
        (site / "zz_shared_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(tree)],
            check=True,
            cwd=tree,
        )
        # the designer's kernels compiled ahead, as `make setup` does (older commits may
        # not have them: then the warm-up call compiles)
        subprocess.run(
            [str(python), "-c", "from maasmix.pricing.solve.kernels import main; main()"],
            cwd=tree,
            check=False,
            capture_output=True,
        )
        (venv / _READY).write_text(commit + "\n")
    return Side(f"ref {commit[:12]}", tree, python, commit)


def sync_benchmarks(tree: Path, source: Path = ROOT) -> None:
    """Replace ``tree``'s benchmarks/ with the working tree's (same code on both sides)."""
    if tree.resolve() == source.resolve():
        return
    target = tree / "benchmarks"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        source / "benchmarks", target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )


def pytest_command(side: Side, selection: Sequence[str], out: Path, basetemp: Path) -> list[str]:
    return [
        str(side.python),
        "-m",
        "pytest",
        *selection,
        "--benchmark-enable",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-q",
        "--continue-on-collection-errors",
        f"--benchmark-json={out}",
        f"--basetemp={basetemp}",
    ]


def default_selection() -> list[str]:
    return [*QUICK_FILES, "-m", "quick"]


@contextlib.contextmanager
def _unblocker() -> Iterator[list[int]]:
    """File descriptors the coordinator opens on the pipes, closed at the end."""
    fds: list[int] = []
    try:
        yield fds
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


def run_ab(
    a: Side,
    b: Side,
    selection: Sequence[str],
    rounds: int,
    out_dir: Path,
    slowdown: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    log: Any = sys.stderr,
) -> dict[str, Any]:
    """Run both sides alternately; returns ``{"A": run json or None, "B": ..., ...}``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fifo_dir = Path(tempfile.mkdtemp(prefix="ab-", dir=out_dir))
    make_fifos(fifo_dir)
    base_env = {k: v for k, v in os.environ.items() if k not in (SLOWDOWN_ENV, AB_ENV)}
    base_env["MAASMIX_BENCH_ROUNDS"] = str(rounds)
    base_env.pop("MAASMIX_BENCH_SMOKE", None)
    base_env.pop("VIRTUAL_ENV", None)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    outs = {s: out_dir / f"{s}.json" for s in "AB"}
    for name, side in (("A", a), ("B", b)):
        env = dict(base_env, **{AB_ENV: f"{fifo_dir}:{name}"})
        if name == "B" and slowdown:
            env[SLOWDOWN_ENV] = slowdown
        outs[name].unlink(missing_ok=True)
        cmd = pytest_command(side, selection, outs[name], out_dir / f"tmp-{name}")
        with (out_dir / f"{name}.log").open("wb") as logfile:
            procs[name] = subprocess.Popen(
                cmd,
                cwd=side.tree,
                env=env,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    started = time.perf_counter()
    timed_out = False
    with _unblocker() as fds:
        while any(p.poll() is None for p in procs.values()):
            if time.perf_counter() - started > timeout_s:
                timed_out = True
                for p in procs.values():
                    if p.poll() is None:
                        os.killpg(p.pid, signal.SIGKILL)
                break
            if not fds and any(p.poll() is not None for p in procs.values()):
                # one side ended: the other must never wait for it (also if it died before
                # opening its pipes)
                a2b, b2a = fifo_paths(fifo_dir)
                fds += [os.open(a2b, os.O_RDWR | os.O_NONBLOCK)]
                fds += [os.open(b2a, os.O_RDWR | os.O_NONBLOCK)]
                survivor = "A" if procs["A"].poll() is None else "B"
                os.write(fds[1] if survivor == "A" else fds[0], b"X")
            time.sleep(0.2)
        for p in procs.values():
            p.wait()
    shutil.rmtree(fifo_dir, ignore_errors=True)
    result: dict[str, Any] = {"timed_out": timed_out, "wall_s": time.perf_counter() - started}
    for name in "AB":
        result[f"{name}_status"] = procs[name].returncode
        result[name] = json.loads(outs[name].read_text()) if outs[name].is_file() else None
        print(
            f"[compare] side {name} exited {procs[name].returncode} ({out_dir / f'{name}.log'})",
            file=log,
            flush=True,
        )
    return result


@dataclass
class Row:
    """One benchmark's comparison."""

    name: str
    timer: str
    verdict: str
    threshold: float
    n: int = 0
    a_median_s: float | None = None
    b_median_s: float | None = None
    ratio: float | None = None
    low: float | None = None
    high: float | None = None
    a_peak_rss_mib: float | None = None
    b_peak_rss_mib: float | None = None
    notes: list[str] = field(default_factory=list)


def _by_name(run: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {b["fullname"]: b for b in (run or {}).get("benchmarks", [])}


def _median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def analyse(
    run_a: dict[str, Any] | None,
    run_b: dict[str, Any] | None,
    threshold: float = vd.DEFAULT_THRESHOLD,
    bands: dict[str, float] | None = None,
    confidence: float = vd.DEFAULT_CONFIDENCE,
) -> list[Row]:
    """One row per benchmark of either side (B's order first)."""
    a, b = _by_name(run_a), _by_name(run_b)
    rows: list[Row] = []
    for name in [*b, *(n for n in a if n not in b)]:
        short = name.split("::")[-1]
        limit = (bands or {}).get(name, (bands or {}).get(short, threshold))
        ba, bb = a.get(name), b.get(name)
        info_a = (ba or {}).get("extra_info") or {}
        info_b = (bb or {}).get("extra_info") or {}
        timer = str(info_b.get("timer") or info_a.get("timer") or "?")
        row = Row(name, timer, vd.TOO_FEW, limit)
        row.a_peak_rss_mib = info_a.get("peak_rss_mib")
        row.b_peak_rss_mib = info_b.get("peak_rss_mib")
        if ba is None or bb is None:
            row.verdict = f"missing on {'A' if ba is None else 'B'}"
            rows.append(row)
            continue
        if info_a.get("timer") != info_b.get("timer"):
            row.notes.append(f"timers differ: A {info_a.get('timer')}, B {info_b.get('timer')}")
        ra = [float(x) for x in info_a.get("round_s") or []]
        rb = [float(x) for x in info_b.get("round_s") or []]
        if info_b.get("injected_slowdown"):
            row.notes.append(f"slowdown x{info_b['injected_slowdown']} injected on B")
        pr = vd.paired_ratio(ra, rb, confidence)
        row.n = pr.n
        row.a_median_s = _median(ra) if ra else None
        row.b_median_s = _median(rb) if rb else None
        if pr.n:
            row.ratio, row.low, row.high = pr.ratio, pr.low, pr.high
        row.verdict = pr.verdict(limit)
        rows.append(row)
    return rows


def exit_status(rows: Sequence[Row], complete: bool = True) -> int:
    if any(r.verdict == vd.REGRESSED for r in rows):
        return 1
    ok = (vd.NOISE, vd.IMPROVED)
    if not complete or not rows or any(r.verdict not in ok for r in rows):
        return 2
    return 0


def _f(x: float | None, fmt: str) -> str:
    return "" if x is None else format(x, fmt)


def markdown(rows: Sequence[Row], header: Sequence[str] = ()) -> str:
    lines = [*header]
    lines += [
        "| benchmark | timer | pairs | A median | B median | B / A | 95 % interval | limit "
        "| peak RSS A / B MiB | verdict |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in rows:
        interval = f"{r.low:.3f} - {r.high:.3f}" if r.low is not None and r.high else ""
        verdict = r.verdict.upper() if r.verdict == vd.REGRESSED else r.verdict
        if r.notes:
            verdict += " (" + "; ".join(r.notes) + ")"
        rss = f"{_f(r.a_peak_rss_mib, '.0f')} / {_f(r.b_peak_rss_mib, '.0f')}"
        lines.append(
            f"| `{r.name}` | {r.timer} | {r.n} | {_f(r.a_median_s, '.4f')} s "
            f"| {_f(r.b_median_s, '.4f')} s | {_f(r.ratio, '.3f')} | {interval} "
            f"| {1 + r.threshold:.2f} | {rss} | {verdict} |"
        )
    counts = {v: sum(r.verdict == v for r in rows) for v in (vd.REGRESSED, vd.IMPROVED, vd.NOISE)}
    other = len(rows) - sum(counts.values())
    lines += [
        "",
        f"{len(rows)} benchmarks: {counts[vd.REGRESSED]} regressed, {counts[vd.IMPROVED]} "
        f"improved, {counts[vd.NOISE]} within noise, {other} not compared.",
    ]
    return "\n".join(lines)


def _subject(commit: str) -> str:
    try:
        return _git("log", "-1", "--format=%h %s", commit)[:100]
    except CompareError:
        return commit[:12]


def _bands(specs: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for spec in specs:
        name, sep, value = spec.rpartition("=")
        if not sep or not name:
            raise CompareError(f"--band wants NAME=FRACTION, got {spec!r}")
        out[name] = float(value)
    return out


def compare(args: argparse.Namespace, log: Any = sys.stderr) -> tuple[int, str, dict[str, Any]]:
    """Run one comparison; returns (exit status, Markdown report, figures)."""
    started = time.perf_counter()
    ref = resolve_ref(args.ref, args.last_landed)
    side_a = ensure_ref_env(ref, log)
    side_b = ensure_ref_env(resolve_ref(args.b_ref), log) if args.b_ref else working_tree_side()
    if not args.own_benchmarks:
        for side in (side_a, side_b):
            sync_benchmarks(side.tree)
    selection = list(args.bench) or default_selection()
    out_dir = Path(args.out_dir)
    load_start = os.getloadavg()
    slowdown = args.slowdown or os.environ.get(SLOWDOWN_ENV) or None
    print(
        f"[compare] A = {side_a.label}, B = {side_b.label}; {args.rounds} rounds each, "
        f"alternating; load {load_start[0]:.1f}",
        file=log,
        flush=True,
    )
    ab = run_ab(side_a, side_b, selection, args.rounds, out_dir, slowdown, args.timeout, log)
    rows = analyse(ab["A"], ab["B"], args.threshold, _bands(args.band), args.confidence)
    complete = not ab["timed_out"] and ab["A"] is not None and ab["B"] is not None
    status = exit_status(rows, complete)
    wall = time.perf_counter() - started
    dirty = " with uncommitted changes" if side_b.dirty else ""
    b_desc = (
        f"working tree at {side_b.commit[:12]}{dirty}"
        if side_b.tree == ROOT
        else _subject(side_b.commit)
    )
    header = [
        f"# bench-compare ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- A (reference): {_subject(side_a.commit)}",
        f"- B: {b_desc}" + (f"; slowdown hook `{slowdown}` on B" if slowdown else ""),
        f"- selection: `{' '.join(selection)}`; {args.rounds} timed rounds per side after one "
        "warm-up call, alternating A B B A ...",
        f"- verdicts: {args.confidence:.0%} t-interval of the paired ratios B / A against "
        f"{args.threshold:.0%} (or the benchmark's band)",
        f"- load average (1 min) {load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} "
        f"at the end; {wall:.0f} s wall for the comparison",
    ]
    if not complete:
        header.append(
            f"- **incomplete**: A exited {ab['A_status']}, B exited {ab['B_status']}"
            + (", timed out" if ab["timed_out"] else "")
            + f" (logs in {out_dir})"
        )
    report = markdown(rows, [*header, ""])
    figures = {
        "ref": side_a.commit,
        "b": side_b.commit,
        "b_is_working_tree": side_b.tree == ROOT,
        "slowdown": slowdown,
        "rounds": args.rounds,
        "status": status,
        "wall_s": round(wall, 1),
        "ab_wall_s": round(ab["wall_s"], 1),
        "load_start": load_start[0],
        "rows": [asdict(r) for r in rows],
    }
    return status, report, figures


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", help="reference commit (default: merge base with main)")
    parser.add_argument("--last-landed", default=LAST_LANDED, help="default REF without a remote")
    parser.add_argument("--b-ref", help="a commit on side B instead of the working tree")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--threshold", type=float, default=vd.DEFAULT_THRESHOLD)
    parser.add_argument("--confidence", type=float, default=vd.DEFAULT_CONFIDENCE)
    parser.add_argument("--band", action="append", default=[], help="NAME=FRACTION")
    parser.add_argument("--bench", action="append", default=[], help="pytest ids (default: quick)")
    parser.add_argument(
        "--own-benchmarks",
        action="store_true",
        help="each side runs its commit's own benchmarks/ (default: the working tree's)",
    )
    parser.add_argument("--slowdown", help="MAASMIX_BENCH_SLOWDOWN for side B (the gate's test)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument("--out-dir", default=str(ROOT / "reports" / "bench" / "compare"))
    parser.add_argument("--report", type=Path, help="also write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.rounds < vd.MIN_PAIRS:
        print(f"error: --rounds must be >= {vd.MIN_PAIRS}", file=sys.stderr)
        return 2
    try:
        status, report, figures = compare(args)
    except (CompareError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report)
    for path, text in ((args.report, report + "\n"), (args.json, json.dumps(figures, indent=1))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
