"""The three objectives, solved to a `Result`.

- ``max_profit``: maximise the MaaS operator's monthly profit (price + subsidy - wholesale
  - own cost per subscriber), subject to the policy.
- ``min_subsidy``: minimise the city's monthly subsidy for a required uptake (share of
  all travellers who subscribe), with profit >= 0.
- ``max_surplus``: maximise the travellers' consumer-surplus change, with profit >= 0.

An optional ``min_uptake`` applies to every objective. An infeasible scenario yields a
`Result` with ``feasible=False``, status ``infeasible`` and the conflicting constraint
groups (see `pricing.infeasibility`); it does not raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from maasmix.pricing.enumeration import ENUMERATION_LIMIT, enumerate_menus, menu_count
from maasmix.pricing.evaluate import baseline, check_policy, evaluate_menu
from maasmix.pricing.infeasibility import find_conflicts
from maasmix.pricing.instance import Instance, compile_instance
from maasmix.pricing.model import SOLVERS, MenuModel, Requirements, build_model, solve_model
from maasmix.pricing.results import Result, build_result, solve_info
from maasmix.pricing.scenario import Scenario, SolverSpec

ObjectiveKind = Literal["max_profit", "min_subsidy", "max_surplus"]
OBJECTIVES: tuple[str, ...] = ("max_profit", "min_subsidy", "max_surplus")
SOLVER_NAMES: tuple[str, ...] = ("AUTO", "ENUM", *SOLVERS)


@dataclass(frozen=True)
class SolverOptions:
    """How to solve and the limits.

    ``name``: ``AUTO`` (exhaustive menu search up to `ENUMERATION_LIMIT` menus, else the
    MIP with SCIP), ``ENUM`` (always the search), ``SCIP`` or ``CBC`` (always the MIP).
    ``relative_gap`` and ``threads`` apply to the MIP.
    """

    name: str = "AUTO"
    time_limit_s: float = 60.0
    relative_gap: float = 1e-6
    threads: int = 1

    def __post_init__(self) -> None:
        if self.name not in SOLVER_NAMES:
            raise ValueError(f"unknown solver {self.name!r} (one of {', '.join(SOLVER_NAMES)})")

    @property
    def mip_solver(self) -> str:
        """The MIP solver used when the MIP runs (SCIP for AUTO and ENUM)."""
        return self.name if self.name in SOLVERS else "SCIP"

    def enumerates(self, inst: Instance, req: Requirements) -> bool:
        """True when this choice solves ``inst`` by exhaustive menu search."""
        if self.name == "ENUM":
            return True
        return self.name == "AUTO" and menu_count(inst, req) <= ENUMERATION_LIMIT

    @classmethod
    def from_spec(cls, spec: SolverSpec, **overrides: object) -> SolverOptions:
        """From a scenario's ``solver`` block, with non-None overrides."""
        values: dict[str, object] = {
            "name": spec.name,
            "time_limit_s": spec.time_limit_s,
            "relative_gap": spec.relative_gap,
            "threads": spec.threads,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def requirements_for(inst: Instance, kind: str, min_uptake: float | None = None) -> Requirements:
    """The constraints an objective adds (``min_uptake`` a share of all travellers)."""
    if kind not in OBJECTIVES:
        raise ValueError(f"unknown objective {kind!r} (one of {OBJECTIVES})")
    uptake = None if min_uptake is None else min_uptake * inst.total_size
    if kind == "min_subsidy":
        return Requirements(min_uptake=uptake or 0.0, min_profit=0.0)
    if kind == "max_surplus":
        return Requirements(min_uptake=uptake, min_profit=0.0)
    return Requirements(min_uptake=uptake)


def solve_requirements(
    inst: Instance,
    kind: str,
    req: Requirements,
    options: SolverOptions | None = None,
    *,
    model: MenuModel | None = None,
    hint: dict[int, int] | None = None,
    explain_infeasible: bool = True,
) -> Result:
    """Solve ``kind`` under ``req`` and evaluate exactly.

    The exhaustive menu search runs when ``options`` choose it and no ``model`` is given;
    otherwise the MIP (``model`` reused when given, its rows already set to ``req``).
    """
    options = options if options is not None else SolverOptions()
    if model is None and options.enumerates(inst, req):
        raw = enumerate_menus(inst, req, kind, time_limit_s=options.time_limit_s, hint=hint)
    else:
        mm = model or build_model(inst, req, solver=options.mip_solver, objective=kind)
        raw = solve_model(
            mm,
            time_limit_s=options.time_limit_s,
            relative_gap=options.relative_gap,
            threads=options.threads,
            hint=hint,
        )
    info = solve_info(raw, kind)
    base = baseline(inst)
    if raw.menu is None:
        conflicts: list[str] = []
        if raw.status == "infeasible" and explain_infeasible:
            conflicts = find_conflicts(
                inst, req, solver=options.mip_solver, time_limit_s=options.time_limit_s
            )
        return build_result(inst, None, base, info, conflicts=conflicts)
    out = evaluate_menu(inst, raw.menu)
    violations = check_policy(
        inst,
        out,
        min_uptake=req.min_uptake,
        max_subsidy=req.max_subsidy,
        min_profit=req.min_profit,
        min_surplus=req.min_surplus,
        tol=1e-5,
    )
    violations = [v for v in violations if v.group not in req.disabled]
    return build_result(inst, out, base, info, violations=violations)


def optimise(
    scenario: Scenario | Instance,
    *,
    objective: str | None = None,
    min_uptake: float | None = None,
    options: SolverOptions | None = None,
    base_scenario: Scenario | None = None,
) -> Result:
    """Design the menu for ``objective`` (default: the scenario's ``objective`` block).

    ``options`` default to the scenario's ``solver`` block. An `Instance` may be passed
    instead of a scenario (then give ``base_scenario`` for its defaults, or the
    library defaults apply).
    """
    spec = scenario if isinstance(scenario, Scenario) else base_scenario
    inst = compile_instance(scenario) if isinstance(scenario, Scenario) else scenario
    kind = objective or (spec.objective.kind if spec is not None else "max_profit")
    uptake = min_uptake
    if uptake is None and spec is not None:
        uptake = spec.objective.min_uptake
    if options is None:
        options = SolverOptions.from_spec(spec.solver) if spec is not None else SolverOptions()
    return solve_requirements(inst, kind, requirements_for(inst, kind, uptake), options)
