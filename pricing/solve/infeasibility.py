"""Which constraints conflict: a deletion filter over constraint groups.

Groups are the policy and objective requirements (``menu_size``, ``price_ladder``,
``subsidy_budget``, ``operator_floor:<op>``, ``surplus_floor:<segment>``, ``min_uptake``,
``min_profit``, ``max_subsidy``, ``min_surplus``). The bundle-choice structure itself
is always feasible (offer nothing). Starting from all groups, each group is dropped in
turn; if the rest is still infeasible it stays dropped. What remains is an irreducible
set: infeasible together, feasible without any one of them.
"""

from __future__ import annotations

from dataclasses import replace

from maasmix.pricing.solve.instance import Instance
from maasmix.pricing.solve.rows import Requirements, linear_rows, log_rows


def _is_feasible(inst: Instance, req: Requirements, time_limit_s: float) -> bool | None:
    """True / False, or None when the search could not decide within the time limit.

    Decided by an exact menu method (no LP tolerances): every menu scored in numpy when
    that is cheap, else the branch and bound, which stops at the first feasible menu.
    """
    from maasmix.pricing.solve.branch_bound import branch_and_bound
    from maasmix.pricing.solve.enumeration import enumerate_menus
    from maasmix.pricing.solve.objectives import NUMPY_WORK, search_work

    if search_work(inst, req) <= NUMPY_WORK:
        raw = enumerate_menus(inst, req, "feasibility", time_limit_s=time_limit_s, compiled=False)
    else:
        raw = branch_and_bound(inst, req, "feasibility", time_limit_s=time_limit_s)
    if raw.status in ("optimal", "feasible"):
        return True
    if raw.status == "infeasible":
        return False
    return None


def constraint_groups(inst: Instance, req: Requirements) -> list[str]:
    """The names of the constraint groups of ``inst`` with ``req`` (as the MIP names them)."""
    groups: list[str] = []
    if "menu_size" not in req.disabled:
        groups.append("menu_size")
    ladder = any(int(inst.prices[hi].min()) < int(inst.prices[lo].max()) for hi, lo in inst.ladder)
    if inst.price_ladder and ladder and "price_ladder" not in req.disabled:
        groups.append("price_ladder")
    groups += [r.group for r in linear_rows(inst, req)] + [r.group for r in log_rows(inst, req)]
    return list(dict.fromkeys(groups))


def find_conflicts(
    inst: Instance,
    req: Requirements | None = None,
    *,
    time_limit_s: float = 10.0,
) -> list[str]:
    """An irreducible set of conflicting constraint groups ([] if the model is feasible).

    A group whose test times out is kept (the set may then not be minimal).
    """
    req = req if req is not None else Requirements()
    groups = constraint_groups(inst, req)
    everything = frozenset(groups) | req.disabled
    if _is_feasible(inst, req, time_limit_s) is not False:
        return []
    active = list(groups)
    for group in groups:
        trial = [g for g in active if g != group]
        disabled = everything - frozenset(trial)
        if _is_feasible(inst, replace(req, disabled=disabled), time_limit_s) is False:
            active = trial
    return active
