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

from maasmix.pricing.instance import Instance
from maasmix.pricing.model import Requirements, build_model, solve_model


def _is_feasible(
    inst: Instance, req: Requirements, solver: str, time_limit_s: float
) -> bool | None:
    """True / False, or None when the solver could not decide within the time limit."""
    mm = build_model(inst, req, solver=solver, objective="feasibility")
    raw = solve_model(mm, time_limit_s=time_limit_s)
    if raw.status in ("optimal", "feasible"):
        return True
    if raw.status == "infeasible":
        return False
    return None


def constraint_groups(inst: Instance, req: Requirements, solver: str = "SCIP") -> list[str]:
    """The names of the constraint groups a model of ``inst`` with ``req`` contains."""
    return list(build_model(inst, req, solver=solver, objective="feasibility").groups)


def find_conflicts(
    inst: Instance,
    req: Requirements | None = None,
    *,
    solver: str = "SCIP",
    time_limit_s: float = 10.0,
) -> list[str]:
    """An irreducible set of conflicting constraint groups ([] if the model is feasible).

    A group whose test times out is kept (the set may then not be minimal).
    """
    req = req if req is not None else Requirements()
    groups = constraint_groups(inst, req, solver)
    everything = frozenset(groups) | req.disabled
    if _is_feasible(inst, req, solver, time_limit_s) is not False:
        return []
    active = list(groups)
    for group in groups:
        trial = [g for g in active if g != group]
        disabled = everything - frozenset(trial)
        if _is_feasible(inst, replace(req, disabled=disabled), solver, time_limit_s) is False:
            active = trial
    return active
