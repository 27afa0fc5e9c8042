"""An HTML report with PNG plots (matplotlib, Agg backend) for a result or a frontier.

``write_report(result_or_frontier, folder)`` writes ``index.html``, ``result.json`` and
``uptake.png`` and ``revenue_split.png`` (and ``frontier.png`` for a frontier; and
``mode_shift.png``, ``emissions.png`` and the derived tables for diary segments).
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
from maasmix.pricing.diary_demand import DerivedDemand
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


_MAIN_COLOURS = {
    "walk": "#8c8c8c",
    "bicycle": "#4daf4a",
    "bicycle_rental": "#a6d854",
    "scooter_rental": "#ffd92f",
    "moped_rental": "#e5c494",
    "car_rental": "#fc8d62",
    "transit": "#3672a4",
    "car": "#b00000",
}


def menu_demand(result: Result, demand: DerivedDemand) -> dict[str, Any]:
    """What the menu's subscribers change, from the diary-derived tables.

    For every diary segment: usage per traveller per month paying as you go and with each
    menu bundle; the trips per month moved between main modes and the CO2e saved by the
    menu's expected subscribers (each class's share buying each bundle x its travellers),
    both relative to those subscribers paying as you go.
    """
    menu = [m.bundle for m in result.menu]
    segments = list(dict.fromkeys(demand.usage["segment"]))
    usage = demand.usage.set_index(["segment", "product", "mode"])["per_traveller"]
    holders: dict[tuple[str, str], float] = {}
    for c in result.classes:
        for bundle, share in c.buys.items():
            key = (c.segment, bundle)
            holders[key] = holders.get(key, 0.0) + share * c.travellers
    sizes = {s.segment: s.travellers for s in result.segments}
    shift = demand.mode_shift
    co2 = demand.emissions.set_index(["segment", "product"])
    usage_rows, shift_rows, co2_rows = [], [], []
    for sid in segments:
        modes = list(dict.fromkeys(demand.usage.loc[demand.usage["segment"] == sid, "mode"]))
        for mode in modes:
            usage_rows.append(
                {
                    "segment": sid,
                    "mode": mode,
                    "payg": float(usage.get((sid, "", mode), 0.0)),
                    "with": [float(usage.get((sid, b, mode), 0.0)) for b in menu],
                }
            )
        size = sizes.get(sid, 0.0) or 1.0
        moved: dict[str, float] = {}
        saved = 0.0
        for bundle in menu:
            n = holders.get((sid, bundle), 0.0)
            rows = shift[(shift["segment"] == sid) & (shift["product"] == bundle)]
            for main, change in zip(rows["main"], rows["change"], strict=True):
                moved[main] = moved.get(main, 0.0) + n / size * float(change)
            if (sid, bundle) in co2.index:
                row = co2.loc[(sid, bundle)]
                saved += n * (float(row["payg_kg"]) - float(row["kg"]))
        shift_rows += [{"segment": sid, "main": k, "change": v} for k, v in moved.items()]
        payg_kg = float(co2.loc[(sid, ""), "payg_kg"]) if (sid, "") in co2.index else 0.0
        co2_rows.append(
            {
                "segment": sid,
                "payg_kg": payg_kg,
                "with": [
                    float(co2.loc[(sid, b), "kg"]) if (sid, b) in co2.index else None for b in menu
                ],
                "saved_kg": saved,
            }
        )
    values = demand.values.set_index(["segment", "product"]) if len(demand.values) else None
    value_rows = []
    for sid in segments:
        if values is None or (sid, "") not in values.index:
            continue
        value_rows.append(
            {
                "segment": sid,
                "payg_spend": float(values.loc[(sid, ""), "spend_minor"]),
                "with": [
                    (
                        float(values.loc[(sid, b), "spend_minor"]),
                        float(values.loc[(sid, b), "value_minor"]),
                    )
                    if (sid, b) in values.index
                    else (None, None)
                    for b in menu
                ],
            }
        )
    return {
        "menu": menu,
        "values": value_rows,
        "usage": usage_rows,
        "shift": shift_rows,
        "co2": co2_rows,
        "saved_kg": sum(r["saved_kg"] for r in co2_rows),
        "summary": demand.summary,
    }


def _plot_mode_shift(table: dict[str, Any], path: Path) -> None:
    """Trips per month moved between main modes by the menu's subscribers, per segment."""
    segments = list(dict.fromkeys(r["segment"] for r in table["shift"]))
    mains = [m for m in _MAIN_COLOURS if any(r["main"] == m for r in table["shift"])]
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.9 * max(len(segments), 1)))
    height = 0.8 / max(len(mains), 1)
    for j, main in enumerate(mains):
        values = [
            sum(r["change"] for r in table["shift"] if r["segment"] == s and r["main"] == main)
            for s in segments
        ]
        ax.barh(
            [i + j * height for i in range(len(segments))],
            values,
            height=height,
            color=_MAIN_COLOURS[main],
            label=main.replace("_", " "),
        )
    ax.axvline(0.0, color="#444444", linewidth=0.8)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(segments))], segments)
    ax.set_xlabel("trips per month moved (menu subscribers, against paying as you go)")
    _axis_money(ax, "", "x")
    ax.set_title("Mode shift caused by the menu")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_emissions(table: dict[str, Any], path: Path) -> None:
    """kg CO2e per traveller per month, paying as you go and with each menu bundle."""
    rows = table["co2"]
    menu = table["menu"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / (len(menu) + 1)
    x = range(len(rows))
    ax.bar(x, [r["payg_kg"] for r in rows], width=width, color="#8c8c8c", label="pay as you go")
    for b, bundle in enumerate(menu):
        ax.bar(
            [i + (b + 1) * width for i in x],
            [r["with"][b] or 0.0 for r in rows],
            width=width,
            label=bundle,
        )
    ax.set_xticks([i + width * len(menu) / 2 for i in x], [r["segment"] for r in rows])
    ax.set_ylabel("kg CO2e per traveller per month")
    ax.set_title("Emissions of the month's trips")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(
    subject: Result | Frontier, folder: str | Path, *, demand: DerivedDemand | None = None
) -> Path:
    """Write the report into ``folder`` (created); returns the path of index.html.

    With ``demand`` (diary segments, `maasmix.pricing.diary_demand`), a section on the
    derived demand: usage per segment and mode with and without the menu's bundles, the
    mode shift and the CO2e saved by its subscribers (``mode_shift.png``,
    ``emissions.png``), and the derived tables as CSV.
    """
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
    diary = None
    if demand is not None and result.feasible:
        diary = menu_demand(result, demand)
        _plot_mode_shift(diary, out / "mode_shift.png")
        _plot_emissions(diary, out / "emissions.png")
        demand.usage.to_csv(out / "usage.csv", index=False)
        demand.mode_shift.to_csv(out / "mode_shift.csv", index=False)
        demand.emissions.to_csv(out / "emissions.csv", index=False)
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
        diary=diary,
        count=lambda v: "" if v is None else f"{v:,.0f}",
        number=lambda v: "" if v is None else f"{v:,.1f}",
        percent=lambda v: "-" if v is None else ("0 %" if v == 0 else f"{100 * v:.2f} %"),
        money=_money_formatter(result.currency),
    )
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
