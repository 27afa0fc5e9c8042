"""Exact evaluation of a menu by direct logit probabilities (no linearisation).

Every reported figure is computed here from the chosen menu, so results never depend on
solver tolerances; the MIP is only used to choose the menu.

Consumer surplus (Williams 1977; Small and Rosen 1981). With utilities ``V_j + eps_j``,
eps i.i.d. Gumbel, the expected maximum utility is ``ln(sum_j exp(V_j)) + gamma``.
Dividing by the marginal utility of money beta (utils per minor unit) gives the consumer
surplus in money up to a constant. Pay-as-you-go has V = 0, each offer contributes
``exp(u_o)`` and each offered bundle ``w = exp(V_b(price))``, so with
``S = 1 + e + sum_b w`` the change against today's choice set (``S0 = 1 + e``, no bundles)
is ``dCS = (ln S - ln S0) / beta = -(ln y0 - ln y0_base) / beta`` per traveller per month,
since y0 = 1/S is the pay-as-you-go probability. For a single bundle this equals the
area under its demand curve above the price, ``integral_p^inf P(q) dq``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from maasmix.pricing.solve.instance import Instance

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Outcome:
    """What happens when a menu is offered (all per month; money in minor units).

    Attributes
    ----------
    menu : Mapping[int, int]
        Offered bundle index -> price level index.
    y0 : (K,) pay-as-you-go probability; ``buy`` : (K, B) bundle purchase probability;
    offer_prob : (K, O) probability of each competing offer.
    log_sum : (K,) ln S (S = 1 + e + sum of offered w).
    cs_change : (K,) consumer-surplus change per traveller against no bundles.
    spend : (K,) expected spending per traveller (bundle prices, overflow, PAYG, offers).
    units : (K, M) expected usage per traveller.
    earnings, revenue : (J,) transport operators' monthly earnings (revenue minus
    marginal cost) and revenue, whole population.
    profit, subsidy, sales, uptake : whole-population MaaS operator profit, city
    subsidy, bundle sales revenue (prices), and subscribers.
    """

    menu: Mapping[int, int]
    y0: F
    buy: F
    offer_prob: F
    log_sum: F
    cs_change: F
    spend: F
    units: F
    earnings: F
    revenue: F
    profit: float
    subsidy: float
    sales: float
    uptake: float

    def price(self, inst: Instance, b: int) -> int:
        """The chosen monthly price of offered bundle ``b`` (minor units)."""
        return int(inst.prices[b][self.menu[b]])

    def segment_cs_change(self, inst: Instance) -> F:
        """(S,) consumer-surplus change per traveller, averaged over each segment's classes."""
        out = np.zeros(len(inst.segments))
        np.add.at(out, inst.class_segment, inst.size * self.cs_change)
        sizes = np.zeros(len(inst.segments))
        np.add.at(sizes, inst.class_segment, inst.size)
        return out / sizes


def evaluate_menu(inst: Instance, menu: Mapping[int, int]) -> Outcome:
    """Evaluate offering bundle ``b`` at price level ``menu[b]`` for each key of ``menu``."""
    n_k, n_b = inst.n_classes, len(inst.bundles)
    wsel = np.zeros((n_k, n_b))
    price = np.zeros(n_b)
    for b, level in menu.items():
        wsel[:, b] = inst.w[b][:, level]
        price[b] = float(inst.prices[b][level])
    s = 1.0 + inst.e + wsel.sum(axis=1)
    y0 = 1.0 / s
    buy = wsel * y0[:, None]
    offer_prob = inst.offer_w * y0[:, None]
    log_sum = np.log(s)
    cs_change = (log_sum - np.log1p(inst.e)) / inst.beta
    spend = (
        y0 * inst.payg_spend
        + (offer_prob * inst.offer_spend).sum(axis=1)
        + (buy * (price[None, :] + inst.extra_spend)).sum(axis=1)
    )
    units = (
        y0[:, None] * inst.payg_units
        + np.einsum("ko,kom->km", offer_prob, inst.offer_units)
        + np.einsum("kb,kbm->km", buy, inst.bundle_units)
    )
    n = inst.size
    earn_k = (
        y0[:, None] * inst.payg_earn
        + np.einsum("ko,koj->kj", offer_prob, inst.offer_earn)
        + np.einsum("kb,kbj->kj", buy, inst.bundle_earn)
    )
    rev_k = (
        y0[:, None] * inst.payg_rev
        + np.einsum("ko,koj->kj", offer_prob, inst.offer_rev)
        + np.einsum("kb,kbj->kj", buy, inst.bundle_rev)
    )
    nbuy = n[:, None] * buy
    return Outcome(
        menu=dict(menu),
        y0=y0,
        buy=buy,
        offer_prob=offer_prob,
        log_sum=log_sum,
        cs_change=cs_change,
        spend=spend,
        units=units,
        earnings=n @ earn_k,
        revenue=n @ rev_k,
        profit=float((nbuy * (price[None, :] + inst.subsidy - inst.maas_cost)).sum()),
        subsidy=float((nbuy * inst.subsidy).sum()),
        sales=float((nbuy * price[None, :]).sum()),
        uptake=float(nbuy.sum()),
    )


def baseline(inst: Instance) -> Outcome:
    """Today: no bundle offered."""
    return evaluate_menu(inst, {})


@dataclass(frozen=True)
class Violation:
    """A policy constraint a menu breaks: ``group`` names it, ``amount`` by how much."""

    group: str
    amount: float


def check_policy(
    inst: Instance,
    out: Outcome,
    *,
    min_uptake: float | None = None,
    max_subsidy: float | None = None,
    min_profit: float | None = None,
    min_surplus: float | None = None,
    tol: float = 1e-6,
) -> list[Violation]:
    """Every policy (and objective) constraint ``out`` violates, beyond a relative ``tol``.

    Groups: ``menu_size``, ``price_ladder``, ``subsidy_budget``, ``operator_floor:<op>``,
    ``surplus_floor:<segment>``, ``min_uptake``, ``max_subsidy``, ``min_profit``,
    ``min_surplus``. Money arguments in minor units, uptake in subscribers.
    """
    v: list[Violation] = []
    scale = max(1.0, inst.total_size)

    def over(group: str, amount: float, ref: float) -> None:
        if amount > tol * max(scale, abs(ref)):
            v.append(Violation(group, amount))

    if len(out.menu) > inst.menu_size:
        v.append(Violation("menu_size", float(len(out.menu) - inst.menu_size)))
    if inst.price_ladder:
        for hi, lo in inst.ladder:
            if hi in out.menu and lo in out.menu and out.price(inst, hi) < out.price(inst, lo):
                short = float(out.price(inst, lo) - out.price(inst, hi))
                v.append(Violation("price_ladder", short))
    if inst.budget is not None:
        over("subsidy_budget", out.subsidy - inst.budget, inst.budget)
    for j, floor in enumerate(inst.operator_floor):
        if not np.isnan(floor):
            over(f"operator_floor:{inst.operators[j]}", floor - out.earnings[j], floor)
    seg_cs = out.segment_cs_change(inst)
    for s, floor in enumerate(inst.surplus_floor):
        if not np.isnan(floor) and floor - seg_cs[s] > tol * max(1.0, abs(floor)):
            v.append(Violation(f"surplus_floor:{inst.segments[s]}", float(floor - seg_cs[s])))
    if min_uptake is not None:
        over("min_uptake", min_uptake - out.uptake, min_uptake)
    if max_subsidy is not None:
        over("max_subsidy", out.subsidy - max_subsidy, max_subsidy)
    if min_profit is not None:
        over("min_profit", min_profit - out.profit, min_profit)
    if min_surplus is not None:
        total = float(inst.size @ out.cs_change)
        over("min_surplus", min_surplus - total, min_surplus)
    return v
