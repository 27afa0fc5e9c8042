"""An HTML report with PNG plots (matplotlib, Agg backend) for a result or a frontier.

``write_report(result_or_frontier, folder)`` writes ``index.html``, ``result.json`` and
``uptake.png`` and ``revenue_split.png`` (and ``frontier.png`` for a frontier).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from jinja2 import Environment, FileSystemLoader, select_autoescape

from maasmix.money import format_minor, minor_per_major
from maasmix.pricing.frontier import Frontier
from maasmix.pricing.results import Result


def _money_formatter(currency: str):  # type: ignore[no-untyped-def]
    def money(minor: int | float | None) -> str:
        return "" if minor is None else format_minor(round(minor), currency)

    return money


def _plot_uptake(result: Result, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    names = [s.segment for s in result.segments]
    ax.bar(names, [100 * s.uptake for s in result.segments], color="#3672a4")
    ax.set_ylabel("subscribers, % of segment")
    ax.set_title("Uptake by segment")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_revenue(result: Result, path: Path) -> None:
    per = minor_per_major(result.currency)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    names = [o.operator for o in result.operators]
    x = range(len(names))
    ax.bar(
        [i - 0.2 for i in x],
        [o.baseline_revenue_minor / per for o in result.operators],
        width=0.4,
        label="today",
        color="#bbbbbb",
    )
    ax.bar(
        [i + 0.2 for i in x],
        [o.revenue_minor / per for o in result.operators],
        width=0.4,
        label="with the menu",
        color="#3672a4",
    )
    ax.set_xticks(list(x), names, rotation=20)
    ax.set_ylabel(f"revenue per month ({result.currency})")
    ax.set_title("Revenue split between transport operators")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_frontier(front: Frontier, path: Path) -> None:
    per = minor_per_major(front.currency)
    pts = [p for p in front.points if p.result.feasible]
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = [p.result.subsidy_minor / per for p in pts]
    if front.sweep == "surplus":
        xs = [p.result.cs_change_minor / per for p in pts]
    ys = [p.result.profit_minor / per for p in pts]
    colours = [p.result.cs_change_minor / per for p in pts]
    sc = ax.scatter(xs, ys, c=colours, cmap="viridis", zorder=3)
    ax.plot(xs, ys, color="#999999", zorder=2)
    for i, p in enumerate(pts):
        if p.dominated:
            ax.annotate("dominated", (xs[i], ys[i]), fontsize=7, color="#888888")
    ax.set_xlabel(
        f"consumer-surplus change ({front.currency}/month)"
        if front.sweep == "surplus"
        else f"city subsidy ({front.currency}/month)"
    )
    ax.set_ylabel(f"MaaS operator profit ({front.currency}/month)")
    fig.colorbar(sc, ax=ax, label=f"consumer-surplus change ({front.currency})")
    ax.set_title(f"Frontier ({front.sweep} sweep)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(subject: Result | Frontier, folder: str | Path) -> Path:
    """Write the report into ``folder`` (created); returns the path of index.html."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    front = subject if isinstance(subject, Frontier) else None
    if front is not None:
        feasible = [p.result for p in front.points if p.result.feasible]
        result = feasible[-1] if feasible else front.anchors["max_profit"]
        _plot_frontier(front, out / "frontier.png")
        data = front.to_dict()
    else:
        assert isinstance(subject, Result)
        result = subject
        data = result.to_dict()
    (out / "result.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    if result.feasible:
        _plot_uptake(result, out / "uptake.png")
        _plot_revenue(result, out / "revenue_split.png")
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )
    html = env.get_template("report.html").render(
        title="Bundle frontier" if front is not None else "Bundle menu",
        scenario=result.scenario,
        currency=result.currency,
        solve=result.solve,
        conflicts=result.conflicts,
        result=result,
        frontier=None
        if front is None
        else {
            "sweep": front.sweep,
            "points": [p.summary() for p in front.points],
        },
        money=_money_formatter(result.currency),
    )
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
