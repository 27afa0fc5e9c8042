"""An HTML report with PNG plots (matplotlib, Agg backend) for a result or a frontier.

``write_report(result_or_frontier, folder)`` writes ``index.html``, ``result.json`` and
``uptake.png`` and ``revenue_split.png`` (and ``frontier.png`` for a frontier).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _axis_money(ax, currency: str, axis: str = "y") -> None:  # type: ignore[no-untyped-def]
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _plot_revenue(result: Result, path: Path) -> None:
    """Change against today per transport operator: revenue and earnings."""
    per = minor_per_major(result.currency)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    names = [o.operator for o in result.operators]
    x = range(len(names))
    rev = [(o.revenue_minor - o.baseline_revenue_minor) / per for o in result.operators]
    earn = [(o.earnings_minor - o.baseline_earnings_minor) / per for o in result.operators]
    ax.bar([i - 0.2 for i in x], rev, width=0.4, label="revenue", color="#3672a4")
    ax.bar([i + 0.2 for i in x], earn, width=0.4, label="earnings", color="#d9822b")
    ax.axhline(0.0, color="#444444", linewidth=0.8)
    ax.set_xticks(list(x), names, rotation=20)
    ax.set_ylabel(f"change against today ({result.currency}/month)")
    _axis_money(ax, result.currency)
    ax.set_title("Transport operators: change with the menu")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def menu_label(menu: list[dict[str, Any]], currency: str) -> str:
    """``Transit @ 50; Bike @ 20`` (prices in major units)."""
    per = minor_per_major(currency)
    return "; ".join(f"{m['bundle']} @ {m['price_minor'] / per:,.0f}" for m in menu) or "nothing"


def _plot_frontier(front: Frontier, path: Path) -> None:
    """Distinct menus as points (a menu is discrete: no line between them), each labelled;
    hollow markers for points not proven optimal, with their gap."""
    per = minor_per_major(front.currency)
    pts = [p for p, _ in front.distinct() if p.result.feasible]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    surplus = front.sweep == "surplus"
    xs = [(p.result.cs_change_minor if surplus else p.result.subsidy_minor) / per for p in pts]
    ys = [p.result.profit_minor / per for p in pts]
    colours = [p.result.cs_change_minor / per for p in pts]
    proven = [p.result.solve.status == "optimal" for p in pts]
    dominated = [p.dominated for p in pts]
    sc = ax.scatter(
        [x for x, ok, d in zip(xs, proven, dominated, strict=True) if ok and not d],
        [y for y, ok, d in zip(ys, proven, dominated, strict=True) if ok and not d],
        c=[c for c, ok, d in zip(colours, proven, dominated, strict=True) if ok and not d],
        cmap="viridis",
        zorder=3,
        label="proven optimal",
    )
    if not all(proven):
        ax.scatter(
            [x for x, ok in zip(xs, proven, strict=True) if not ok],
            [y for y, ok in zip(ys, proven, strict=True) if not ok],
            facecolors="none",
            edgecolors="#b00000",
            zorder=3,
            label="stopped at the time limit (gap shown)",
        )
    if any(dominated):
        ax.scatter(
            [x for x, d, ok in zip(xs, dominated, proven, strict=True) if d and ok],
            [y for y, d, ok in zip(ys, dominated, proven, strict=True) if d and ok],
            color="#bbbbbb",
            zorder=3,
            label="dominated (another point is as good on all three, better on one)",
        )
    for i, p in enumerate(pts):
        text = menu_label(p.summary()["menu"], front.currency)
        if not proven[i]:
            gap = p.result.solve.gap
            text += f" (gap {100 * gap:.1f} %)" if gap is not None else " (gap unknown)"
        ax.annotate(text, (xs[i], ys[i]), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel(
        f"consumer-surplus change ({front.currency}/month)"
        if surplus
        else f"city subsidy ({front.currency}/month)"
    )
    ax.set_ylabel(f"MaaS operator profit ({front.currency}/month)")
    _axis_money(ax, front.currency, "x")
    _axis_money(ax, front.currency, "y")
    if pts:
        fig.colorbar(sc, ax=ax, label=f"consumer-surplus change ({front.currency}/month)")
    ax.legend(fontsize=7, loc="best")
    title = f"Frontier ({front.sweep} sweep), {len(pts)} distinct menus"
    if front.interrupted:
        title += f", interrupted after {len(front.points)} of {front.planned} points"
    ax.set_title(title)
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
            "interrupted": front.interrupted,
            "planned": front.planned,
            "finished": len(front.points),
            "rows": [
                {
                    **p.summary(),
                    "points": ", ".join(str(i + 1) for i in members),
                    "label": menu_label(p.summary()["menu"], front.currency),
                }
                for p, members in front.distinct()
            ],
            "any_dominated": any(p.dominated for p, _ in front.distinct()),
        },
        count=lambda v: "" if v is None else f"{v:,.0f}",
        percent=lambda v: "-" if v is None else ("0 %" if v == 0 else f"{100 * v:.2f} %"),
        money=_money_formatter(result.currency),
    )
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
