"""Compile a scenario into the numeric instance the optimiser and the evaluator share.

Everything is per traveller per month, in minor units (cents) for money and in the
mode's unit for usage. Index letters: k demand class, b bundle, l price level of a
bundle, o competing offer, m mode, j transport operator.

Economics of one subscriber of bundle b in class k (mode m used ``u`` units, of which
``c = min(level, u)`` are covered by the bundle and ``u - c`` overflow):

- the MaaS operator receives the price and the subsidy, and pays the wholesale rate
  for covered units (plus its own cost per subscriber);
- the traveller pays the price plus overflow units at pay-as-you-go prices, bought
  directly from the transport operator;
- a transport operator earns wholesale on covered units plus pay-as-you-go on overflow,
  minus its marginal cost on every unit used.

A competing offer pays its price to its operator and covers its included units;
overflow and other modes are pay-as-you-go. Pay-as-you-go travellers pay every unit.
Equivalent candidates are merged: two bundles with the same price grid that give every
class the same utility and the same economics at every price (e.g. "300 bike minutes" and
"unlimited bike minutes" when nobody rides 300 minutes) are one product to the travellers.
Under logit (independence of irrelevant alternatives) offering both would count that
product twice in the choice probabilities, so only the first listed is kept;
``Instance.merged_bundles`` maps each dropped name to the one kept.

The "outside" quantities below sum pay-as-you-go and the offers weighted by
``exp(utility of offer)``: multiplied by y0 (the pay-as-you-go probability) they give the
expected value over all non-bundle choices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from maasmix.money import rate_to_minor, to_minor
from maasmix.pricing.demand.typed import DemandClass, demand_from_scenario, offer_includes
from maasmix.pricing.scenario import AmountFloor, ModeShareSubsidy, Scenario
from maasmix.pricing.scenario.candidates import Bundle, candidate_bundles, ladder_pairs

F = npt.NDArray[np.float64]
#: Utilities are clipped to this magnitude before exponentiation (exp(50) ~ 5e21).
MAX_ABS_UTILITY = 50.0


@dataclass(frozen=True)
class Instance:
    """A scenario as arrays (see the module docstring for units and economics).

    Attributes
    ----------
    size : (K,) travellers per class; ``beta`` : (K,) utils per minor unit;
    class_segment : (K,) segment index of each class.
    prices : per bundle, (L_b,) int64 monthly prices in minor units.
    w : per bundle, (K, L_b) exp-utility of the bundle at each price.
    offer_w : (K, O) exp-utility of each offer; ``e`` = offer_w.sum(1).
    maas_cost, subsidy, extra_spend : (K, B) per subscriber (minor units).
    bundle_units : (K, B, M); bundle_earn, bundle_rev : (K, B, J) per subscriber.
    payg_units (K, M), payg_spend (K,), payg_earn, payg_rev (K, J): pay-as-you-go.
    offer_units (K, O, M), offer_spend (K, O), offer_earn, offer_rev (K, O, J).
    operator_floor : (J,) minimum monthly earnings in minor units (NaN: no floor).
    surplus_floor : (S,) minimum consumer-surplus change per traveller (NaN: none).
    merged_bundles : name of each dropped equivalent candidate -> name of the one kept.
    """

    name: str
    currency: str
    maas_name: str
    modes: list[str]
    mode_units: list[str]
    operators: list[str]
    segments: list[str]
    classes: list[DemandClass]
    class_segment: npt.NDArray[np.int64]
    size: F
    beta: F
    bundles: list[Bundle]
    prices: list[npt.NDArray[np.int64]]
    w: list[F]
    offers: list[str]
    offer_w: F
    e: F
    maas_cost: F
    subsidy: F
    extra_spend: F
    bundle_units: F
    bundle_earn: F
    bundle_rev: F
    payg_units: F
    payg_spend: F
    payg_earn: F
    payg_rev: F
    offer_units: F
    offer_spend: F
    offer_earn: F
    offer_rev: F
    ladder: list[tuple[int, int]]
    menu_size: int
    price_ladder: bool
    budget: float | None
    operator_floor: F
    surplus_floor: F
    merged_bundles: Mapping[str, str] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """K."""
        return len(self.classes)

    @property
    def total_size(self) -> float:
        """All travellers in the scenario."""
        return float(self.size.sum())

    def class_label(self, k: int) -> str:
        """``segment`` or ``segment/class``."""
        c = self.classes[k]
        return f"{c.segment}/{c.name}" if c.name else c.segment


def _economics(
    cls: DemandClass,
    includes: Mapping[str, float],
    modes: Sequence[str],
    mode_op: Sequence[int],
    n_ops: int,
    payg: Sequence[float],
    wholesale: Sequence[float] | None,
    marginal: Sequence[float],
) -> tuple[F, float, float, F, F]:
    """Per-traveller (units per mode, covered wholesale value, overflow spend, earn, rev).

    ``wholesale`` None: covered units are not paid per unit (an offer's own pass).
    """
    units = np.zeros(len(modes))
    earn = np.zeros(n_ops)
    rev = np.zeros(n_ops)
    covered_value = 0.0
    overflow_spend = 0.0
    for i, m in enumerate(modes):
        level = includes.get(m, 0.0)
        u = cls.usage_with(m, includes)
        covered = min(level, u)
        over = u - covered
        units[i] = u
        r = payg[i] * over
        if wholesale is not None:
            r += wholesale[i] * covered
            covered_value += wholesale[i] * covered
        overflow_spend += payg[i] * over
        rev[mode_op[i]] += r
        earn[mode_op[i]] += r - marginal[i] * u
    return units, covered_value, overflow_spend, earn, rev


def compile_instance(
    scenario: Scenario,
    demand: Sequence[DemandClass] | None = None,
    bundles: Sequence[Bundle] | None = None,
) -> Instance:
    """Compile a scenario (optionally with another demand model or bundle list)."""
    cur = scenario.currency
    source = demand if demand is not None else demand_from_scenario(scenario)
    classes: list[DemandClass] = list(source)
    blist = list(bundles) if bundles is not None else candidate_bundles(scenario)
    modes = list(scenario.modes)
    operators = list(dict.fromkeys(m.operator for m in scenario.modes.values()))
    offers = list(scenario.offers)
    for offer in scenario.offers.values():
        if offer.operator not in operators:
            operators.append(offer.operator)
    mode_op = [operators.index(scenario.modes[m].operator) for m in modes]
    payg = [rate_to_minor(scenario.modes[m].payg, cur) for m in modes]
    whole = [rate_to_minor(scenario.modes[m].wholesale, cur) for m in modes]
    marg = [rate_to_minor(scenario.modes[m].marginal_cost, cur) for m in modes]
    segments = list(dict.fromkeys(c.segment for c in classes))
    n_k, n_b, n_m, n_j, n_o = len(classes), len(blist), len(modes), len(operators), len(offers)
    per_sub = to_minor(scenario.maas.cost_per_subscriber, cur)
    o_inc = offer_includes(scenario)

    maas_cost = np.zeros((n_k, n_b))
    subsidy = np.zeros((n_k, n_b))
    extra = np.zeros((n_k, n_b))
    b_units = np.zeros((n_k, n_b, n_m))
    b_earn = np.zeros((n_k, n_b, n_j))
    b_rev = np.zeros((n_k, n_b, n_j))
    p_units = np.zeros((n_k, n_m))
    p_spend = np.zeros(n_k)
    p_earn = np.zeros((n_k, n_j))
    p_rev = np.zeros((n_k, n_j))
    o_units = np.zeros((n_k, n_o, n_m))
    o_spend = np.zeros((n_k, n_o))
    o_earn = np.zeros((n_k, n_o, n_j))
    o_rev = np.zeros((n_k, n_o, n_j))
    offer_u = np.zeros((n_k, n_o))
    w: list[F] = [np.zeros((n_k, len(b.prices))) for b in blist]
    instruments = scenario.policy.subsidy.instruments
    for k, cls in enumerate(classes):
        units, _, spend, earn, rev = _economics(cls, {}, modes, mode_op, n_j, payg, whole, marg)
        p_units[k], p_spend[k], p_earn[k], p_rev[k] = units, spend, earn, rev
        for o, oid in enumerate(offers):
            units, _, spend, earn, rev = _economics(
                cls, o_inc[oid], modes, mode_op, n_j, payg, None, marg
            )
            oj = operators.index(scenario.offers[oid].operator)
            price = to_minor(scenario.offers[oid].price, cur)
            earn[oj] += price
            rev[oj] += price
            o_units[k, o], o_spend[k, o] = units, spend + price
            o_earn[k, o], o_rev[k, o] = earn, rev
            offer_u[k, o] = cls.offer_utility(oid)
        for b, bundle in enumerate(blist):
            units, cov, spend, earn, rev = _economics(
                cls, bundle.includes, modes, mode_op, n_j, payg, whole, marg
            )
            b_units[k, b], extra[k, b], b_earn[k, b], b_rev[k, b] = units, spend, earn, rev
            maas_cost[k, b] = cov + per_sub
            sub = 0.0
            for ins in instruments:
                if isinstance(ins, ModeShareSubsidy):
                    for m in ins.modes:
                        i = modes.index(m)
                        lvl = bundle.level(m)
                        sub += ins.share * whole[i] * min(lvl, cls.usage_with(m, bundle.includes))
                elif ins.segments is None or cls.segment in ins.segments:
                    sub += to_minor(ins.amount, cur)
            subsidy[k, b] = sub
            for li, price in enumerate(bundle.prices):
                v = cls.bundle_utility(bundle.includes, float(price))
                w[b][k, li] = math.exp(max(-MAX_ABS_UTILITY, min(MAX_ABS_UTILITY, v)))
    if bundles is None:
        keys = _bundle_keys(blist, w, [maas_cost, subsidy, extra, b_units, b_earn, b_rev])
        first: dict[bytes, int] = {}
        for b, key in enumerate(keys):
            first.setdefault(key, b)
        if len(first) < n_b:
            merged = {
                blist[b].name: blist[first[k]].name for b, k in enumerate(keys) if first[k] != b
            }
            kept = [blist[b] for b in sorted(first.values())]
            return replace(compile_instance(scenario, classes, kept), merged_bundles=merged)
    offer_w = np.exp(np.clip(offer_u, -MAX_ABS_UTILITY, MAX_ABS_UTILITY))
    pol = scenario.policy
    seg_idx = np.array([segments.index(c.segment) for c in classes], dtype=np.int64)
    size = np.array([c.size for c in classes], dtype=float)
    e = offer_w.sum(axis=1)
    # baseline (no bundles): y0 = 1 / (1 + e)
    y0 = 1.0 / (1.0 + e)
    base_earn = (size * y0) @ (p_earn + np.einsum("ko,koj->kj", offer_w, o_earn))
    floors = np.full(n_j, np.nan)
    for j, op in enumerate(operators):
        rule = pol.operator_floors.get(op, pol.operator_floor)
        if isinstance(rule, AmountFloor):
            floors[j] = to_minor(rule.amount, cur)
        elif rule == "payg":
            floors[j] = base_earn[j]
    sfloor = np.full(len(segments), np.nan)
    for sid, value in pol.surplus_floors.items():
        if sid in segments:
            sfloor[segments.index(sid)] = to_minor(value, cur)
    budget = pol.subsidy.budget
    return Instance(
        name=scenario.name,
        currency=cur,
        maas_name=scenario.maas.name,
        modes=modes,
        mode_units=[scenario.modes[m].unit for m in modes],
        operators=operators,
        segments=segments,
        classes=classes,
        class_segment=seg_idx,
        size=size,
        beta=np.array([c.price_sensitivity for c in classes], dtype=float),
        bundles=blist,
        prices=[np.asarray(b.prices, dtype=np.int64) for b in blist],
        w=w,
        offers=offers,
        offer_w=offer_w,
        e=e,
        maas_cost=maas_cost,
        subsidy=subsidy,
        extra_spend=extra,
        bundle_units=b_units,
        bundle_earn=b_earn,
        bundle_rev=b_rev,
        payg_units=p_units,
        payg_spend=p_spend,
        payg_earn=p_earn,
        payg_rev=p_rev,
        offer_units=o_units,
        offer_spend=o_spend,
        offer_earn=o_earn,
        offer_rev=o_rev,
        ladder=ladder_pairs(blist),
        menu_size=pol.menu_size,
        price_ladder=pol.price_ladder,
        budget=None if budget is None else float(to_minor(budget, cur)),
        operator_floor=floors,
        surplus_floor=sfloor,
    )


def _bundle_keys(blist: Sequence[Bundle], w: Sequence[F], per_class: Sequence[F]) -> list[bytes]:
    """A byte key per bundle: equal keys mean equal prices, utilities and economics."""
    keys = []
    for b, bundle in enumerate(blist):
        parts = [np.asarray(bundle.prices, dtype=np.int64), np.round(w[b], 12)]
        parts += [np.round(a[:, b], 6) for a in per_class]
        keys.append(b"|".join(np.ascontiguousarray(p).tobytes() for p in parts))
    return keys
