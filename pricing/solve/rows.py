"""Policy, requirement and objective rows, shared by the MIP and the menu enumeration.

Every quantity the optimiser constrains or optimises is, per average traveller, either

- linear in the choice probabilities: ``sum_k n_k [outside_k y0_k + sum_{b offered}
  P_kb (per_sub_kb + per_price * price_b)]`` with y0_k = 1 / S_k the probability of no
  bundle and P_kb = w_kb / S_k the probability of buying b (`LinearRow`), or
- a weighted sum of ``ln S_k`` (consumer surplus; `LogRow`),

where n_k is the class weight (size / total size) and S_k = 1 + e_k + sum w over the
menu. Money is in minor units, uptake in subscribers, both per average traveller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from maasmix.pricing.solve.instance import Instance

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Requirements:
    """Constraints added by an objective or a frontier point (whole population).

    Money in minor units; uptake in subscribers. ``disabled`` lists constraint groups to
    leave out (used by the infeasibility analysis).
    """

    min_uptake: float | None = None
    max_subsidy: float | None = None
    min_profit: float | None = None
    min_surplus: float | None = None
    disabled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LinearRow:
    """``lo <= metric <= hi`` for a metric linear in the choice probabilities.

    ``per_sub`` (K, B) per subscriber of bundle b in class k, ``per_price`` times the
    bundle's price, ``outside`` (K,) per traveller who buys no bundle (None: zero).
    """

    group: str
    lo: float
    hi: float
    per_sub: F | None
    per_price: float
    outside: F | None

    def coefficients(self, inst: Instance) -> tuple[F, list[F]]:
        """Weights on y0_k (K,) and, per bundle, on z_kbl = y0_k x_bl (K, L_b).

        The z coefficient is ``n_k w_kbl (per_sub_kb + per_price * price_bl)``.
        """
        n = inst.size / inst.total_size
        out = np.zeros(inst.n_classes) if self.outside is None else n * self.outside
        per_bundle = []
        for b in range(len(inst.bundles)):
            base = np.zeros(inst.n_classes) if self.per_sub is None else self.per_sub[:, b]
            value = base[:, None] + self.per_price * inst.prices[b][None, :]
            per_bundle.append(n[:, None] * inst.w[b] * value)
        return out, per_bundle

    def values(self, inst: Instance) -> list[F]:
        """Per bundle, (K, L_b) value per subscriber, class weight included:
        ``n_k (per_sub_kb + per_price * price_bl)`` (the z coefficient over ``w_kbl``)."""
        n = inst.size / inst.total_size
        out = []
        for b in range(len(inst.bundles)):
            base = np.zeros(inst.n_classes) if self.per_sub is None else self.per_sub[:, b]
            value = base[:, None] + self.per_price * inst.prices[b][None, :]
            out.append(n[:, None] * value)
        return out


@dataclass(frozen=True)
class LogRow:
    """``sum_k coef_k ln S_k >= lo`` (consumer surplus, utils turned into money by 1/beta)."""

    group: str
    lo: float
    coef: F


def linear_rows(inst: Instance, req: Requirements) -> list[LinearRow]:
    """The budget, operator floors and ``req``'s uptake, subsidy and profit rows."""
    scale = inst.total_size
    inf = math.inf
    n_k, n_b = inst.n_classes, len(inst.bundles)
    rows: list[LinearRow] = []
    if inst.budget is not None:
        rows.append(LinearRow("subsidy_budget", -inf, inst.budget / scale, inst.subsidy, 0.0, None))
    outside_earn = inst.payg_earn + np.einsum("ko,koj->kj", inst.offer_w, inst.offer_earn)
    for j, floor in enumerate(inst.operator_floor):
        if not np.isnan(floor):
            group = f"operator_floor:{inst.operators[j]}"
            earn = inst.bundle_earn[:, :, j]
            rows.append(LinearRow(group, float(floor) / scale, inf, earn, 0.0, outside_earn[:, j]))
    if req.min_uptake is not None:
        ones = np.ones((n_k, n_b))
        rows.append(LinearRow("min_uptake", req.min_uptake / scale, inf, ones, 0.0, None))
    if req.max_subsidy is not None:
        rows.append(
            LinearRow("max_subsidy", -inf, req.max_subsidy / scale, inst.subsidy, 0.0, None)
        )
    if req.min_profit is not None:
        margin = inst.subsidy - inst.maas_cost
        rows.append(LinearRow("min_profit", req.min_profit / scale, inf, margin, 1.0, None))
    return [r for r in rows if r.group not in req.disabled]


def log_rows(inst: Instance, req: Requirements) -> list[LogRow]:
    """``req``'s consumer-surplus row and the per-segment surplus floors.

    The surplus change of class k is ``(ln S_k - ln(1 + e_k)) / beta_k`` per traveller.
    """
    log_s0 = np.log1p(inst.e)
    rows: list[LogRow] = []
    if req.min_surplus is not None:
        n = inst.size / inst.total_size
        lo = req.min_surplus / inst.total_size + float(n @ (log_s0 / inst.beta))
        rows.append(LogRow("min_surplus", lo, n / inst.beta))
    for si, floor in enumerate(inst.surplus_floor):
        if np.isnan(floor):
            continue
        members = inst.class_segment == si
        share = np.where(members, inst.size, 0.0) / inst.size[members].sum()
        lo = float(floor) + float(share @ (log_s0 / inst.beta))
        rows.append(LogRow(f"surplus_floor:{inst.segments[si]}", lo, share / inst.beta))
    return [r for r in rows if r.group not in req.disabled]


def objective_row(inst: Instance, kind: str) -> tuple[LinearRow | LogRow | None, float]:
    """The objective of ``kind`` as a row (bounds unused) and its sense (+1 max, -1 min).

    ``feasibility`` has no objective (None, +1).
    """
    inf = math.inf
    if kind == "max_profit":
        margin = inst.subsidy - inst.maas_cost
        return LinearRow("objective", -inf, inf, margin, 1.0, None), 1.0
    if kind == "min_subsidy":
        return LinearRow("objective", -inf, inf, inst.subsidy, 0.0, None), -1.0
    if kind == "max_surplus":
        n = inst.size / inst.total_size
        return LogRow("objective", -inf, n / inst.beta), 1.0
    if kind == "feasibility":
        return None, 1.0
    raise ValueError(f"unknown objective {kind!r}")
