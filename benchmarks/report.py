"""Tables and plots from benchmark runs: peers side by side, scaling curves, a summary.

- `write_peer_report(rows, out)`: ``peers.json``, ``peers.md`` (maasmix / peer ratios of
  the median query time, the agreement of the answers, and every peer that could not be
  measured with the reason) and ``peers.png``; called at the end of
  ``test_bench_peers.py``.
- ``python -m benchmarks.report scaling RUN.json [OUT.png]``: time and peak memory
  against input size for every benchmark of ``test_bench_scaling.py`` in a stored run.
- ``python -m benchmarks.report summary RUN.json``: a Markdown table of every benchmark
  of a run, median seconds and in units of the calibration workload, with peak memory.
- ``python -m benchmarks.report matrix RUN.json [OUT.png]``: the travel-time matrix's
  scaling (``test_bench_matrix.py``): core-seconds per origin and wall time on 2 Dask
  workers against the number of origins, with the aim, R5's figure and each worker's peak
  memory; the figures go to ``OUT.json`` beside the plot.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter


def _ms(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.3f}" if x < 1 else f"{x:.1f}"


def peer_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| task | city | peer | queries | maasmix median ms (p90) | peer median ms (p90) "
        "| maasmix / peer | answers | peer setup s |",
        "|---|---|---|---:|---:|---:|---:|---|---:|",
    ]
    missing = []
    for r in rows:
        if r["status"] != "ok":
            missing.append(r)
            continue
        peer = f"{r['peer']} {r.get('version') or ''}".strip()
        lines.append(
            f"| {r['task']} | {r['city']} | {peer} | {r.get('queries', '')} "
            f"| {_ms(r.get('ours_median_ms'))} ({_ms(r.get('ours_p90_ms'))}) "
            f"| {_ms(r.get('peer_median_ms'))} ({_ms(r.get('peer_p90_ms'))}) "
            f"| {r['ratio']:.2f} | {r.get('agreement', '')} | {r.get('peer_setup_s', '')} |"
            if r.get("ratio") is not None
            else f"| {r['task']} | {r['city']} | {peer} | | | | | {r.get('agreement', '')} | |"
        )
    notes = sorted({r["ours"] for r in rows if r.get("ours")})
    if notes:
        lines += ["", *(f"maasmix side of the street routes: {n}." for n in notes)]
    if missing:
        lines += ["", "Not measured:", ""]
        lines += [f"- {r['peer']}, {r['task']} ({r['city']}): {r['status']}" for r in missing]
    lines += [
        "",
        "Ratio below 1: maasmix is faster. Times are per query, in one process, after a "
        "warm-up query; setup is the peer's load or tile build.",
    ]
    return "\n".join(lines)


def peer_plot(rows: list[dict[str, Any]], out: Path) -> None:
    done = [r for r in rows if r.get("ratio") is not None]
    if not done:
        return
    labels = [f"{r['task']}\n{r['city']} vs {r['peer']}" for r in done]
    ratios = [r["ratio"] for r in done]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(done) + 1.4))
    colours = ["#3672a4" if x <= 1 else "#d9822b" for x in ratios]
    ax.barh(range(len(done)), ratios, color=colours)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(done)), labels, fontsize=8)
    ax.invert_yaxis()
    for i, x in enumerate(ratios):
        ax.text(x, i, f" {x:.2f}", va="center", fontsize=8)
    ax.set_xlabel("median query time, maasmix / peer (log; < 1: maasmix faster)")
    ax.set_title("maasmix against peers, same queries, same inputs")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def write_peer_report(rows: list[dict[str, Any]], out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: str(out_dir / f"peers.{k}") for k in ("json", "md", "png")}
    Path(paths["json"]).write_text(json.dumps(rows, indent=1, default=str) + "\n")
    Path(paths["md"]).write_text(peer_markdown(rows) + "\n")
    peer_plot(rows, Path(paths["png"]))
    return paths


def _calibration(run: dict[str, Any]) -> float:
    from benchmarks.check import calibration_seconds

    return calibration_seconds(run)


def scaling_plot(run: dict[str, Any], out: Path) -> list[dict[str, Any]]:
    """Plot every scaling benchmark (extra_info ``scaling``, ``x``) of a run."""
    series: dict[str, list[tuple[float, float, float | None]]] = defaultdict(list)
    xlabel: dict[str, str] = {}
    rows = []
    for b in run["benchmarks"]:
        info = b.get("extra_info") or {}
        if "scaling" not in info:
            continue
        key = info["scaling"]
        memory = info.get("peak_alloc_mib", info.get("rss_growth_mib"))
        series[key].append((float(info["x"]), float(b["stats"]["median"]), memory))
        xlabel[key] = info.get("x_label", "input size")
        rows.append(
            {
                "series": key,
                "x": info["x"],
                "median_s": b["stats"]["median"],
                "rss_growth_mib": info.get("rss_growth_mib"),
                "peak_alloc_mib": info.get("peak_alloc_mib"),
            }
        )
    if not series:
        return rows
    fig, axes = plt.subplots(2, len(series), figsize=(4 * len(series), 6.5), squeeze=False)
    for col, (key, pts) in enumerate(sorted(series.items())):
        pts.sort()
        xs = [p[0] for p in pts]
        axes[0][col].plot(xs, [p[1] for p in pts], "o-", color="#3672a4")
        axes[0][col].set_xscale("log")
        axes[0][col].set_yscale("log")
        axes[0][col].set_title(key, fontsize=9)
        axes[0][col].set_ylabel("median seconds" if col == 0 else "")
        mem = [(x, m) for x, _, m in pts if m is not None]
        if mem:
            axes[1][col].plot(
                [m[0] for m in mem], [max(m[1], 0.1) for m in mem], "s-", color="#d9822b"
            )
            axes[1][col].set_xscale("log")
            axes[1][col].set_yscale("log")
        axes[1][col].set_xlabel(xlabel[key], fontsize=9)
        axes[1][col].set_ylabel("peak allocated MiB" if col == 0 else "")
    fig.suptitle("Scaling: time (top) and peak memory (bottom) against input size")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return rows


#: The issue's aim and R5's published figure, core-seconds per origin.
MATRIX_AIM_CORE_S = 0.1
R5_CORE_S = 0.25


def matrix_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per number of origins of ``test_bench_matrix.py`` in a run: core-seconds
    per origin in one process, and the 2-worker run's wall seconds, CPU seconds of the
    workers and of the client process, core-seconds per origin of all of them, and peak
    RSS per worker (MiB), with the load average around each measurement."""
    rows: dict[int, dict[str, Any]] = {}
    for b in run["benchmarks"]:
        info = b.get("extra_info") or {}
        name = b["name"].split("[")[0]
        if name not in ("test_matrix_core_seconds_per_origin", "test_matrix_two_workers_wall"):
            continue
        row = rows.setdefault(int(info["origins"]), {"origins": int(info["origins"])})
        row["destinations"] = info["destinations"]
        row["departures"] = info["departures"]
        if name == "test_matrix_core_seconds_per_origin":
            row["core_s_per_origin"] = info["core_s_per_origin"]
            row["prepare_s"] = info.get("prepare_s")
            row["cpu_load_1min"] = info.get("load_1min")
        else:
            row["workers"] = info["workers"]
            row["wall_s"] = info["wall_s"]
            row["workers_cpu_s"] = info["workers_cpu_s"]
            row["main_cpu_s"] = info["main_cpu_s"]
            cpu = info["workers_cpu_s"] + info["main_cpu_s"]
            row["run_core_s_per_origin"] = round(cpu / info["origins"], 5)
            row["worker_peak_rss_mib"] = info["worker_peak_rss_mib"]
            row["wall_load_1min"] = info.get("load_1min")
    return [rows[k] for k in sorted(rows)]


def _loads(rows: list[dict[str, Any]], key: str) -> str:
    values = [v for r in rows for v in (r.get(key) or [])]
    return f"{min(values):.1f}-{max(values):.1f}" if values else "not recorded"


def matrix_plot(run: dict[str, Any], out: Path) -> list[dict[str, Any]]:
    """Plot `matrix_rows` of a run to ``out`` (PNG); returns the rows."""
    rows = matrix_rows(run)
    if not rows:
        return rows
    one = [r for r in rows if "core_s_per_origin" in r]
    two = [r for r in rows if "wall_s" in r]
    xs_all = [r["origins"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6.2))

    left.axhline(R5_CORE_S, color="#c0392b", ls=":", lw=1.5)
    left.text(
        xs_all[-1] * 1.9,
        R5_CORE_S * 1.08,
        f"R5 as published: {R5_CORE_S} core-s per origin (São Paulo, r5r issue 106)",
        color="#c0392b",
        fontsize=8,
        ha="right",
    )
    left.axhline(MATRIX_AIM_CORE_S, color="#2e8b57", ls="--", lw=1.5)
    left.text(
        xs_all[-1] * 1.9,
        MATRIX_AIM_CORE_S * 1.08,
        f"aim: < {MATRIX_AIM_CORE_S} core-s per origin",
        color="#2e8b57",
        fontsize=8,
        ha="right",
    )
    if one:
        x1 = [r["origins"] for r in one]
        y1 = [r["core_s_per_origin"] for r in one]
        left.plot(x1, y1, "o-", color="#3672a4", label="1 process (its CPU time)")
        for x, y in zip(x1, y1, strict=True):
            left.annotate(
                f"{y:.4f}",
                (x, y),
                textcoords="offset points",
                xytext=(0, -14),
                ha="center",
                fontsize=8,
                color="#3672a4",
            )
    if two:
        x2 = [r["origins"] for r in two]
        y2 = [r["run_core_s_per_origin"] for r in two]
        left.plot(
            x2,
            y2,
            "s--",
            color="#d9822b",
            label=(
                "2 Dask workers: CPU of the workers and the client\n"
                "(start-up, network loads, Parquet chunks included)"
            ),
        )
        for x, y in zip(x2, y2, strict=True):
            left.annotate(
                f"{y:.4f}",
                (x, y),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
                color="#d9822b",
            )
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_ylim(0.004, 0.6)
    ticks = [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5]
    left.set_yticks(ticks, [f"{t:g}" for t in ticks])
    left.minorticks_off()
    left.set_xticks(xs_all, [f"{x:,}" for x in xs_all])
    left.set_xlabel("origins (x 1,000 destinations)")
    left.set_ylabel("core-seconds per origin (log)")
    left.set_title(
        f"CPU cost per origin (1-min load average {_loads(one, 'cpu_load_1min')})", fontsize=10
    )
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8)

    if two:
        x2 = [r["origins"] for r in two]
        walls = [r["wall_s"] for r in two]
        right.plot(x2, walls, "s-", color="#d9822b", label="2 Dask workers: wall time")
        by_x = {r["origins"]: r for r in one}
        ideal = [(x, by_x[x]["core_s_per_origin"] * x / 2) for x in x2 if x in by_x]
        if ideal:
            right.plot(
                [p[0] for p in ideal],
                [p[1] for p in ideal],
                "o:",
                color="#3672a4",
                label="ideal: 1-process CPU time / 2, no start-up",
            )
        for r in two:
            peaks = " / ".join(f"{m:.0f}" for m in r["worker_peak_rss_mib"])
            right.annotate(
                f"{r['wall_s']:.1f} s\npeak RSS per worker\n{peaks} MiB",
                (r["origins"], r["wall_s"]),
                textcoords="offset points",
                xytext=(0, 10),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        right.set_xscale("log")
        right.set_yscale("log")
        lo = min([*walls, *(p[1] for p in ideal)])
        right.set_ylim(lo / 2, max(walls) * 6)
        right.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        right.set_xticks(xs_all, [f"{x:,}" for x in xs_all])
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8)
    right.set_xlim(xs_all[0] / 2, xs_all[-1] * 2)
    left.set_xlim(xs_all[0] / 2, xs_all[-1] * 2)
    right.set_xlabel("origins (x 1,000 destinations)")
    right.set_ylabel("seconds, whole run (log)")
    right.set_title(
        f"Wall time on 2 workers (1-min load average {_loads(two, 'wall_load_1min')})", fontsize=10
    )
    r0 = rows[0]
    machine = run.get("machine_info") or {}
    fig.suptitle(
        f"Travel-time matrix, Helsinki HSL: {r0['departures']} departures (1-minute steps), "
        f"walking access, {machine.get('cpu', {}).get('count', '?')}-core machine "
        "(load averages in the panel titles)",
        fontsize=11,
    )
    if two:
        last = two[-1]
        floor = (last["workers_cpu_s"] + last["main_cpu_s"]) / 2
        right.text(
            0.98,
            0.03,
            "wall times grow with the machine's load (other work on the\n"
            f"same cores); the run needs at least its CPU seconds / 2: "
            f"{floor:.0f} s\nfor {last['origins']:,} origins "
            f"({last['workers_cpu_s']:.0f} s workers + {last['main_cpu_s']:.0f} s client)",
            transform=right.transAxes,
            ha="right",
            va="bottom",
            fontsize=7.5,
            color="#555555",
        )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return rows


def summary_markdown(run: dict[str, Any]) -> str:
    unit = _calibration(run)
    lines = [
        f"Calibration workload: {unit * 1000:.1f} ms.",
        "",
        "| benchmark | median s | × calibration | rounds | peak RSS growth MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for b in run["benchmarks"]:
        med = float(b["stats"]["median"])
        info = b.get("extra_info") or {}
        lines.append(
            f"| `{b['fullname'].removeprefix('benchmarks/')}` | {med:.4f} | {med / unit:.3f} "
            f"| {b['stats']['rounds']} | {info.get('rss_growth_mib', '')} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("scaling", "summary", "matrix"):
        print(__doc__)
        return 2
    run = json.loads(Path(argv[1]).read_text())
    if argv[0] == "scaling":
        out = Path(argv[2]) if len(argv) > 2 else Path("reports/scaling.png")
        rows = scaling_plot(run, out)
        out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
        print(f"wrote {out} ({len(rows)} points)")
    elif argv[0] == "matrix":
        out = Path(argv[2]) if len(argv) > 2 else Path("reports/matrix_scaling.png")
        rows = matrix_plot(run, out)
        out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
        print(f"wrote {out} ({len(rows)} numbers of origins)")
    else:
        print(summary_markdown(run))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
