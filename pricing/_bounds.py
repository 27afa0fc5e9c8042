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

from pricing.instance import Instance

F = npt.NDArray[np.float64]
_ITERATIONS = 48


def level_profit_bounds(inst: Instance) -> list[F]:
    """Per bundle, (L_b,) upper bound on profit per average traveller (minor units/month)
    of any menu offering that bundle at that level."""
    n_k, n_b, top_n = inst.n_classes, len(inst.bundles), max(0, inst.menu_size - 1)
    weights = inst.size / inst.total_size
    out: list[F] = []
    margin = [
        inst.prices[b][None, :] + (inst.subsidy - inst.maas_cost)[:, b, None] for b in range(n_b)
    ]
    m_hi = max(float(np.max(m)) for m in margin)
    for b in range(n_b):
        n_l = len(inst.prices[b])
        lo = np.full((n_l, n_k), min(0.0, float(np.min(margin[b]))))
        hi = np.full((n_l, n_k), max(0.0, m_hi) + 1.0)
        others = [o for o in range(n_b) if o != b]
        for _ in range(_ITERATIONS):
            r = 0.5 * (lo + hi)  # (L, K)
            own = inst.w[b].T * (margin[b].T - r)
            rhs = own
            if top_n and others:
                g = np.stack(
                    [
                        np.maximum(
                            0.0, (inst.w[o][None] * (margin[o][None] - r[:, :, None])).max(axis=2)
                        )
                        for o in others
                    ],
                    axis=2,
                )  # (L, K, B-1)
                take = min(top_n, g.shape[2])
                rhs = rhs + -np.sort(-g, axis=2)[:, :, :take].sum(axis=2)
            above = (1.0 + inst.e)[None, :] * r - rhs > 0.0
            hi = np.where(above, r, hi)
            lo = np.where(above, lo, r)
        out.append(hi @ weights)
    return out
