"""Tables and plots from benchmark runs: peers side by side, scaling curves, a summary.

- `write_peer_report(rows, out)`: ``peers.json``, ``peers.md`` (maasmix / peer ratios of
  the median query time, the agreement of the answers, and every peer that could not be
  measured with the reason) and ``peers.png``; called at the end of
  ``test_bench_peers.py``.
- ``python -m benchmarks.report scaling RUN.json [OUT.png]``: time and peak memory
  against input size for every benchmark of ``test_bench_scaling.py`` in a stored run.
- ``python -m benchmarks.report summary RUN.json``: a Markdown table of every benchmark
  of a run, median seconds and in units of the calibration workload, with peak memory.
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
    if len(argv) < 2 or argv[0] not in ("scaling", "summary"):
        print(__doc__)
        return 2
    run = json.loads(Path(argv[1]).read_text())
    if argv[0] == "scaling":
        out = Path(argv[2]) if len(argv) > 2 else Path("reports/scaling.png")
        rows = scaling_plot(run, out)
        out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
        print(f"wrote {out} ({len(rows)} points)")
    else:
        print(summary_markdown(run))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
