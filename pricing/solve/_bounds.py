"""Upper bounds on MaaS profit for menus that offer a given bundle at a given price.

For one class k and a menu with exp-utilities w_j and margins m_j (price + subsidy -
cost), profit per traveller is ``R = sum w_j m_j / (1 + e_k + sum w_j)``, i.e. the root
of ``(1 + e_k) R = sum_j w_j (m_j - R)``. Letting every class choose its own price levels
and its own other bundles (price discrimination, no ladder, no policy) can only earn
more, and that per-class optimum with bundle b fixed at level l is the root of

    (1 + e_k) R = w_kbl (m_kbl - R) + (top K-1 over b' != b of max(0, max_l' w (m - R)))

(the right side falls and the left side rises in R). Summing the roots over classes,
weighted by class size, bounds the profit of every menu with b at l, whatever the policy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from maasmix.pricing.solve.instance import Instance

F = npt.NDArray[np.float64]
_ITERATIONS = 48


def class_level_bounds(inst: Instance) -> tuple[list[F], F]:
    """Per-class profit bounds (minor units per traveller of the class, per month).

    Returns, per bundle, (L_b, K) bounds for menus offering that bundle at each level, and
    (K,) bounds for any menu (the root with the top K bundles, no bundle forced).
    """
    n_k, n_b, top_n = inst.n_classes, len(inst.bundles), max(0, inst.menu_size - 1)
    margin = [
        inst.prices[b][None, :] + (inst.subsidy - inst.maas_cost)[:, b, None] for b in range(n_b)
    ]
    m_lo = min([0.0] + [float(np.min(m)) for m in margin])
    m_hi = max([0.0] + [float(np.max(m)) for m in margin]) + 1.0

    def root(own: F | None, w: list[F], m: list[F], take: int, rows: int) -> F:
        lo = np.full((rows, n_k), m_lo)
        hi = np.full((rows, n_k), m_hi)
        for _ in range(_ITERATIONS):
            r = 0.5 * (lo + hi)  # (rows, K)
            rhs = np.zeros_like(r)
            if own is not None:
                rhs += own[0] * (own[1] - r)
            if take and w:
                g = np.stack(
                    [
                        np.maximum(0.0, (wo[None] * (mo[None] - r[:, :, None])).max(axis=2))
                        for wo, mo in zip(w, m, strict=True)
                    ],
                    axis=2,
                )  # (rows, K, bundles)
                rhs += -np.sort(-g, axis=2)[:, :, : min(take, g.shape[2])].sum(axis=2)
            above = (1.0 + inst.e)[None, :] * r - rhs > 0.0
            hi = np.where(above, r, hi)
            lo = np.where(above, lo, r)
        return hi

    per_level: list[F] = []
    for b in range(n_b):
        others = [o for o in range(n_b) if o != b]
        own = np.stack([inst.w[b].T, margin[b].T])  # (2, L, K)
        per_level.append(
            root(
                own,
                [inst.w[o] for o in others],
                [margin[o] for o in others],
                top_n,
                len(inst.prices[b]),
            )
        )
    anything = root(None, list(inst.w), margin, max(0, inst.menu_size), 1)[0]
    return per_level, anything


def level_profit_bounds(inst: Instance) -> list[F]:
    """Per bundle, (L_b,) upper bound on profit per average traveller (minor units/month)
    of any menu offering that bundle at that level."""
    weights = inst.size / inst.total_size
    per_level, _ = class_level_bounds(inst)
    return [bounds @ weights for bounds in per_level]
