"""An HTML report with PNG plots for a menu (a `Result`) or a frontier.

``write_report(result_or_frontier, folder)`` writes ``index.html``, ``result.json`` and
``uptake.png`` and ``revenue_split.png`` (and ``frontier.png`` for a frontier; and
``mode_shift.png``, ``emissions.png`` and the derived tables for diary segments). A
frontier's report details one of its points: the best feasible one with a menu (highest
profit) unless the caller names another (``detail``, 1-based as in the report's table).
Every report ends with a glossary of its money terms.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from maasmix.errors import QueryError
from maasmix.money import format_minor, minor_per_major
from maasmix.pricing.demand.diaries import DerivedDemand
from maasmix.pricing.frontier import Frontier
from maasmix.pricing.report.plots import (
    emissions_figure,
    frontier_figure,
    mode_shift_figure,
    number_label,
    plural,
    point_numbers,
    revenue_figure,
    save,
    signed_label,
    uptake_figure,
)
from maasmix.pricing.results import Result

#: The money terms every report explains (term, meaning), in the order shown.
GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "bundle sales",
        "what subscribers pay the MaaS operator for their bundles: subscribers x price.",
    ),
    (
        "subsidy",
        "what the city pays the MaaS operator for its subscribers, as the scenario's policy "
        "says (a share of the bundle's transport at wholesale, or an amount per subscriber "
        "in target segments).",
    ),
    (
        "profit",
        "the MaaS operator's: bundle sales + subsidy - wholesale paid to the transport "
        "operators for the units its bundles cover - its own cost per subscriber.",
    ),
    (
        "revenue",
        "a transport operator's money from these travellers in a month: fares and rental "
        "charges paid as you go, wholesale paid by the MaaS operator, and sales of its "
        "other offers (such as a 30-day ticket).",
    ),
    (
        "earnings",
        "a transport operator's revenue minus the marginal cost of every unit used "
        "(trips, minutes): its margin before fixed costs.",
    ),
    (
        "surplus change",
        "consumer-surplus change: how much better off the travellers are, in money per "
        "month, than today (the logit log-sum, Small and Rosen), prices paid and the value "
        "of what they get counted; positive means better off.",
    ),
    (
        "uptake",
        "the share of travellers expected to buy a bundle (logit choice probabilities).",
    ),
    (
        "today",
        "the same travellers with no MaaS menu: paying as you go or buying the offers that "
        "exist already.",
    ),
)


def menu_label(menu: list[dict[str, Any]], currency: str) -> str:
    """``Transit @ 50; Bike @ 20`` (prices in major units); ``nothing`` for no bundle."""
    per = minor_per_major(currency)
    return "; ".join(f"{m['bundle']} @ {m['price_minor'] / per:,.0f}" for m in menu) or "nothing"


def breakable(text: str) -> Markup:
    """``text`` escaped for HTML, with a line-break opportunity after every ``+`` and
    ``/`` (long generated bundle names wrap inside a table cell)."""
    out = str(escape(text))
    for c in "+/":
        out = out.replace(c, c + "<wbr>")
    return Markup(out)


def detail_point(front: Frontier, number: int | None = None) -> int | None:
    """The 0-based index of the frontier point a report details.

    ``number`` (1-based, as in the report's and the CLI's table) names one; it must be a
    feasible point with at least one bundle (`QueryError` naming ``detail`` otherwise).
    By default: the feasible point with a menu and the highest profit (the first of
    equals); None when no point offers a bundle.
    """
    usable = [i for i, p in enumerate(front.points) if p.result.feasible and p.result.menu]
    if number is not None:
        n = len(front.points)
        choices = point_numbers(usable) or "none"
        if not 1 <= number <= n:
            raise QueryError(
                f"no point {number}: the frontier has {plural(n, 'point')} "
                f"(points with a menu: {choices})",
                parameter="detail",
            )
        point = front.points[number - 1]
        if number - 1 not in usable:
            why = "is infeasible" if not point.result.feasible else "offers no bundle"
            raise QueryError(
                f"point {number} {why}; points with a menu: {choices}", parameter="detail"
            )
        return number - 1
    if not usable:
        return None
    return max(usable, key=lambda i: (front.points[i].result.profit_minor, -i))


def menu_demand(result: Result, demand: DerivedDemand) -> dict[str, Any]:
    """What the menu's subscribers change, from the diary-derived tables.

    For every diary segment: usage per traveller per month paying as you go and with each
    menu bundle; the trips per month moved between main modes and the CO2e saved by the
    menu's expected subscribers (each class's share buying each bundle x its travellers),
    both relative to those subscribers paying as you go. Keys: ``menu``, ``values``,
    ``usage``, ``shift``, ``moves`` (some shift rounds to a whole trip), ``co2``,
    ``saved_kg``, ``summary``.
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
        "moves": any(signed_label(r["change"]) != "0" for r in shift_rows),
        "co2": co2_rows,
        "saved_kg": sum(r["saved_kg"] for r in co2_rows),
        "summary": demand.summary,
    }


def _money(currency: str, code: bool = True) -> Callable[[float | None], str]:
    """Minor units -> ``1,234.56 EUR`` (``code``) or ``1,234.56``; None -> empty."""

    def money(minor: float | None) -> str:
        if minor is None:
            return ""
        text = format_minor(round(minor), currency)
        return text if code else text.rsplit(" ", 1)[0]

    return money


def _percent(share: float | None, decimals: int = 1) -> str:
    return "-" if share is None else f"{number_label(100 * share, decimals)} %"


def _frontier_context(front: Frontier, detail: int | None, named: bool) -> dict[str, Any]:
    rows = []
    for p, members in front.distinct():
        s = p.summary()
        rows.append(
            {
                **s,
                "points": point_numbers(members),
                "detail": detail is not None and detail in members,
                "label": menu_label(s["menu"], front.currency),
            }
        )
    n_menus = sum(1 for p, _ in front.distinct() if p.result.feasible)
    return {
        "sweep": front.sweep,
        "interrupted": front.interrupted,
        "planned": front.planned,
        "finished": len(front.points),
        "points_text": plural(len(front.points), "point"),
        "menus_text": plural(n_menus, "distinct menu"),
        "seconds": front.seconds,
        "rows": rows,
        "any_dominated": any(p.dominated for p, _ in front.distinct()),
        "detail": None if detail is None else detail + 1,
        "chosen": named,
        "detail_members": None
        if detail is None
        else next(r["points"] for r in rows if r["detail"]),
    }


def write_report(
    subject: Result | Frontier,
    folder: str | Path,
    *,
    demand: DerivedDemand | None = None,
    detail: int | None = None,
) -> Path:
    """Write the report into ``folder`` (created); returns the path of index.html.

    For a frontier, ``detail`` (1-based point number) names the point whose menu the
    report details (`detail_point`: by default the feasible point with a menu and the
    highest profit); a `QueryError` naming ``detail`` when that point is infeasible or
    offers no bundle. With ``demand`` (diary segments, `maasmix.pricing.demand.diaries`),
    a section on the derived demand: usage per segment and mode with and without the
    menu's bundles, the mode shift and the CO2e saved by its subscribers
    (``mode_shift.png``, ``emissions.png``), and the derived tables as CSV.
    """
    front = subject if isinstance(subject, Frontier) else None
    chosen: int | None = None
    result: Result | None
    if front is not None:
        chosen = detail_point(front, detail)
        result = None if chosen is None else front.points[chosen].result
        data = {**front.to_dict(), "detail_point": None if chosen is None else chosen + 1}
        scenario, currency = front.scenario, front.currency
    else:
        if not isinstance(subject, Result):
            raise TypeError(f"a Result or a Frontier, not {type(subject).__name__}")
        result = subject
        data = result.to_dict()
        scenario, currency = result.scenario, result.currency
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    if front is not None:
        save(frontier_figure(front, chosen), out / "frontier.png")
    (out / "result.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    shown = result is not None and result.feasible and bool(result.menu)
    diary = None
    if shown:
        assert result is not None
        save(uptake_figure(result), out / "uptake.png")
        save(revenue_figure(result), out / "revenue_split.png")
        if demand is not None:
            diary = menu_demand(result, demand)
            if diary["moves"]:
                save(mode_shift_figure(diary), out / "mode_shift.png")
            save(emissions_figure(diary), out / "emissions.png")
            demand.usage.to_csv(out / "usage.csv", index=False)
            demand.mode_shift.to_csv(out / "mode_shift.csv", index=False)
            demand.emissions.to_csv(out / "emissions.csv", index=False)
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )
    html = env.get_template("report.html").render(
        title="Bundle frontier" if front is not None else "Bundle menu",
        scenario=scenario,
        currency=currency,
        result=result,
        shown=shown,
        frontier=None if front is None else _frontier_context(front, chosen, detail is not None),
        diary=diary,
        glossary=GLOSSARY,
        count=lambda v: "" if v is None else number_label(v),
        number=lambda v: "" if v is None else number_label(v, 1),
        signed=lambda v: signed_label(v),
        percent=_percent,
        gap=lambda v: _percent(v, 2),
        money=_money(currency),
        amount=_money(currency, code=False),
        breakable=breakable,
        plural=plural,
    )
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
