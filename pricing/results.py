"""Typed results an analyst can use, and their JSON form.

Money is integer minor units (``*_minor``) with the ``currency`` alongside; usage is in
each mode's unit per month; shares are fractions in [0, 1]. Every figure is computed by
exact logit evaluation of the chosen menu (`pricing.solve.evaluate`), not read off the MIP.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from maasmix.pricing.scenario.candidates import level_label
from maasmix.pricing.solve.evaluate import Outcome, Violation
from maasmix.pricing.solve.instance import Instance
from maasmix.pricing.solve.model import RawSolve


@dataclass(frozen=True)
class SolveInfo:
    """How the menu was found.

    ``status``: ``optimal`` (proven within the relative gap), ``feasible`` (stopped at the
    time limit or interrupted, with a menu; ``best_bound`` and ``gap`` say how far it can
    be from the optimum, None when unknown), ``uncertain`` (the MIP's claim failed a
    numerical check; the menu is exactly evaluated and feasible unless ``violations`` say
    otherwise, but not proven optimal; ``note`` says why), ``infeasible`` (proven: no menu
    satisfies the rows), ``not_solved`` (stopped without any menu). Objective and bound in
    minor units per month, whole population (surplus objectives likewise); relative gap;
    wall-clock seconds; ``nodes``: menus scored or search nodes explored (0 for the MIP);
    ``stopped``: why a search ended early (``time_limit``, ``interrupted``) or None.
    """

    solver: str
    status: str
    objective: str
    objective_value: float | None
    best_bound: float | None
    gap: float | None
    seconds: float
    cut_rounds: int
    nodes: int = 0
    note: str = ""
    stopped: str | None = None


@dataclass(frozen=True)
class MenuItem:
    """An offered bundle: what it includes (units per month, or 'unlimited') and price."""

    bundle: str
    includes: dict[str, str]
    price_minor: int
    subscribers: float
    subsidy_minor: int


@dataclass(frozen=True)
class ClassResult:
    """One segment, or one latent class / draw of a segment (``class_name`` non-empty)."""

    segment: str
    class_name: str
    travellers: float
    uptake: float
    buys: dict[str, float]
    offers: dict[str, float]
    payg: float
    spend_minor: int
    baseline_spend_minor: int
    cs_change_minor: int


@dataclass(frozen=True)
class SegmentResult:
    """A segment, its classes combined (per-traveller figures are size-weighted means)."""

    segment: str
    travellers: float
    uptake: float
    subscribers: float
    spend_minor: int
    baseline_spend_minor: int
    cs_change_minor: int
    surplus_floor_minor: int | None


@dataclass(frozen=True)
class OperatorResult:
    """A transport operator's monthly revenue and earnings (revenue minus marginal cost)
    from these travellers, with the menu and today; ``floor_minor`` its participation floor."""

    operator: str
    revenue_minor: int
    baseline_revenue_minor: int
    earnings_minor: int
    baseline_earnings_minor: int
    floor_minor: int | None


@dataclass(frozen=True)
class ModeResult:
    """Usage of a mode per month, all travellers, with the menu and today."""

    mode: str
    unit: str
    usage: float
    baseline_usage: float
    change: float


@dataclass(frozen=True)
class Result:
    """The outcome of one optimisation (or of one frontier point)."""

    scenario: str
    currency: str
    solve: SolveInfo
    feasible: bool
    menu: list[MenuItem] = field(default_factory=list)
    maas_operator: str = ""
    profit_minor: int = 0
    sales_minor: int = 0
    subsidy_minor: int = 0
    subsidy_budget_minor: int | None = None
    subscribers: float = 0.0
    uptake: float = 0.0
    user_spend_minor: int = 0
    baseline_user_spend_minor: int = 0
    cs_change_minor: int = 0
    segments: list[SegmentResult] = field(default_factory=list)
    classes: list[ClassResult] = field(default_factory=list)
    operators: list[OperatorResult] = field(default_factory=list)
    modes: list[ModeResult] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (money in minor units, with ``currency``)."""
        return _clean(asdict(self))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if not math.isfinite(f) else round(f, 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _m(value: Any) -> int:
    return round(float(value))


def solve_info(raw: RawSolve, objective: str) -> SolveInfo:
    """`SolveInfo` from a raw solve."""
    return SolveInfo(
        raw.solver,
        raw.status,
        objective,
        raw.objective,
        raw.bound,
        raw.gap,
        round(raw.seconds, 4),
        raw.cut_rounds,
        raw.nodes,
        raw.note,
        raw.stopped,
    )


def build_result(
    inst: Instance,
    out: Outcome | None,
    base: Outcome,
    info: SolveInfo,
    *,
    violations: list[Violation] | None = None,
    conflicts: list[str] | None = None,
) -> Result:
    """Assemble a `Result` from the evaluated menu ``out`` (None: no solution) and today."""
    common: dict[str, Any] = {
        "scenario": inst.name,
        "currency": inst.currency,
        "solve": info,
        "maas_operator": inst.maas_name,
        "subsidy_budget_minor": None if inst.budget is None else _m(inst.budget),
        "conflicts": list(conflicts or []),
    }
    if out is None:
        return Result(feasible=False, **common)
    n = inst.size
    menu = [
        MenuItem(
            bundle=inst.bundles[b].name,
            includes={m: level_label(v) for m, v in inst.bundles[b].includes.items()},
            price_minor=out.price(inst, b),
            subscribers=float(n @ out.buy[:, b]),
            subsidy_minor=_m(float(n @ (out.buy[:, b] * inst.subsidy[:, b]))),
        )
        for b in sorted(out.menu, key=lambda b: out.price(inst, b))
    ]
    classes = []
    for k, cls in enumerate(inst.classes):
        classes.append(
            ClassResult(
                segment=cls.segment,
                class_name=cls.name,
                travellers=float(n[k]),
                uptake=float(out.buy[k].sum()),
                buys={inst.bundles[b].name: float(out.buy[k, b]) for b in out.menu},
                offers={o: float(out.offer_prob[k, i]) for i, o in enumerate(inst.offers)},
                payg=float(out.y0[k]),
                spend_minor=_m(out.spend[k]),
                baseline_spend_minor=_m(base.spend[k]),
                cs_change_minor=_m(out.cs_change[k]),
            )
        )
    seg_cs = out.segment_cs_change(inst)
    segments = []
    for s, sid in enumerate(inst.segments):
        mask = inst.class_segment == s
        size = float(n[mask].sum())
        subs = float(n[mask] @ out.buy[mask].sum(axis=1))
        floor = inst.surplus_floor[s]
        segments.append(
            SegmentResult(
                segment=sid,
                travellers=size,
                uptake=subs / size,
                subscribers=subs,
                spend_minor=_m(n[mask] @ out.spend[mask] / size),
                baseline_spend_minor=_m(n[mask] @ base.spend[mask] / size),
                cs_change_minor=_m(seg_cs[s]),
                surplus_floor_minor=None if np.isnan(floor) else _m(floor),
            )
        )
    operators = [
        OperatorResult(
            operator=op,
            revenue_minor=_m(out.revenue[j]),
            baseline_revenue_minor=_m(base.revenue[j]),
            earnings_minor=_m(out.earnings[j]),
            baseline_earnings_minor=_m(base.earnings[j]),
            floor_minor=None if np.isnan(inst.operator_floor[j]) else _m(inst.operator_floor[j]),
        )
        for j, op in enumerate(inst.operators)
    ]
    modes = [
        ModeResult(
            mode=m,
            unit=inst.mode_units[i],
            usage=float(n @ out.units[:, i]),
            baseline_usage=float(n @ base.units[:, i]),
            change=float(n @ (out.units[:, i] - base.units[:, i])),
        )
        for i, m in enumerate(inst.modes)
    ]
    return Result(
        feasible=True,
        menu=menu,
        profit_minor=_m(out.profit),
        sales_minor=_m(out.sales),
        subsidy_minor=_m(out.subsidy),
        subscribers=out.uptake,
        uptake=out.uptake / inst.total_size,
        user_spend_minor=_m(n @ out.spend),
        baseline_user_spend_minor=_m(n @ base.spend),
        cs_change_minor=_m(n @ out.cs_change),
        segments=segments,
        classes=classes,
        operators=operators,
        modes=modes,
        violations=[{"group": v.group, "amount": v.amount} for v in violations or []],
        **common,
    )
