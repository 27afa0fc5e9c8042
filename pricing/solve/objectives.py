"""The three objectives, solved to a `Result`.

- ``max_profit``: maximise the MaaS operator's monthly profit (price + subsidy - wholesale
  - own cost per subscriber), subject to the policy.
- ``min_subsidy``: minimise the city's monthly subsidy for a required uptake (share of
  all travellers who subscribe), with profit >= 0.
- ``max_surplus``: maximise the travellers' consumer-surplus change, with profit >= 0.

An optional ``min_uptake`` applies to every objective. An infeasible scenario yields a
`Result` with ``feasible=False``, status ``infeasible`` and the conflicting constraint
groups (see `pricing.solve.infeasibility`); it does not raise.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from maasmix.pricing.results import Result, build_result, solve_info
from maasmix.pricing.scenario import Scenario, SolverSpec
from maasmix.pricing.solve.branch_bound import RootCache, branch_and_bound
from maasmix.pricing.solve.enumeration import enumerate_menus, menu_count
from maasmix.pricing.solve.evaluate import baseline, check_policy, evaluate_menu
from maasmix.pricing.solve.infeasibility import find_conflicts
from maasmix.pricing.solve.instance import Instance, compile_instance
from maasmix.pricing.solve.menus import Progress, StopCheck
from maasmix.pricing.solve.model import (
    SOLVERS,
    MenuModel,
    RawSolve,
    Requirements,
    build_model,
    solve_model,
    verify_solve,
)
from maasmix.pricing.solve.rows import linear_rows, log_rows

ObjectiveKind = Literal["max_profit", "min_subsidy", "max_surplus"]
OBJECTIVES: tuple[str, ...] = ("max_profit", "min_subsidy", "max_surplus")
SOLVER_NAMES: tuple[str, ...] = ("AUTO", "ENUM", "BNB", *SOLVERS)
#: ``AUTO`` scores every menu in numpy (no compiled kernel needed) while menus x classes x
#: (rows + 2) is at most this; numpy does about 10^8 of these a second on one core, so
#: such a case is answered in well under a second, in a fresh environment too.
NUMPY_WORK = 60_000_000


def search_work(inst: Instance, req: Requirements | None = None) -> int:
    """The work of scoring every menu: menus x classes x (rows + 2)."""
    req = req if req is not None else Requirements()
    rows = len(linear_rows(inst, req)) + len(log_rows(inst, req))
    return menu_count(inst, req) * inst.n_classes * (rows + 2)


@dataclass(frozen=True)
class SolverOptions:
    """How to solve and the limits.

    ``name``: ``AUTO`` (the default: the exhaustive menu search in numpy when scoring
    every menu is cheap, `NUMPY_WORK`, else the branch and bound), ``ENUM`` (always the
    exhaustive search), ``BNB`` (always the branch and bound, `pricing.solve.branch_bound`),
    ``SCIP`` or ``CBC`` (the MIP, its claims checked by `pricing.solve.model.verify_solve`).
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
        """The MIP solver used when the MIP runs (SCIP unless CBC is asked for)."""
        return self.name if self.name in SOLVERS else "SCIP"

    def method(self, inst: Instance, req: Requirements | None = None) -> str:
        """The method that solves ``inst``: ``ENUM``, ``BNB``, ``SCIP`` or ``CBC``.

        ``AUTO`` measures the case: the work of scoring every menu (`search_work`); cheap
        cases are counted out in numpy, the others go to the branch and bound, whose
        bounds make its work grow far slower than the number of menus.
        """
        if self.name != "AUTO":
            return self.name
        return "ENUM" if search_work(inst, req) <= NUMPY_WORK else "BNB"

    def enumerates(self, inst: Instance, req: Requirements) -> bool:
        """True when this choice solves ``inst`` by an exact menu method (not the MIP)."""
        return self.method(inst, req) not in SOLVERS

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
    hint: Mapping[int, int] | None = None,
    explain_infeasible: bool = True,
    progress: Progress | None = None,
    stop: StopCheck | None = None,
    incumbents: Iterable[Mapping[int, int]] = (),
    known_bound: float | None = None,
    parallel: bool = True,
    cache: RootCache | None = None,
) -> Result:
    """Solve ``kind`` under ``req`` and evaluate exactly.

    The method is the one ``options`` choose (`SolverOptions.method`), the MIP when a
    ``model`` is given (its rows already set to ``req``). ``progress`` and ``stop`` reach
    the menu methods (`pricing.solve.menus.SearchProgress`; ``stop()`` true ends the search with
    what it has); ``incumbents`` (menus to start from) and ``known_bound`` (an upper bound
    on the objective, e.g. from a looser frontier point) reach the branch and bound, and
    so do ``parallel`` (False: serial kernels releasing the GIL, for searches in several
    Python threads) and ``cache`` (root bounds shared by searches of one instance).
    """
    options = options if options is not None else SolverOptions()
    method = "MIP" if model is not None else options.method(inst, req)
    raw: RawSolve
    if method == "ENUM":
        raw = enumerate_menus(
            inst,
            req,
            kind,
            time_limit_s=options.time_limit_s,
            hint=dict(hint) if hint else None,
            progress=progress,
            stop=stop,
        )
    elif method == "BNB":
        raw = branch_and_bound(
            inst,
            req,
            kind,
            time_limit_s=options.time_limit_s,
            hint=hint,
            incumbents=incumbents,
            known_bound=known_bound,
            progress=progress,
            stop=stop,
            parallel=parallel,
            cache=cache,
        )
    else:
        building = time.perf_counter()
        mm = model or build_model(inst, req, solver=options.mip_solver, objective=kind)
        raw = solve_model(
            mm,
            time_limit_s=_left(options.time_limit_s, building),
            relative_gap=options.relative_gap,
            threads=options.threads,
            hint=dict(hint) if hint else None,
            stop=stop,
        )
        raw = verify_solve(mm, raw, req, relative_gap=options.relative_gap)
    info = solve_info(raw, kind)
    base = baseline(inst)
    if raw.menu is None:
        conflicts: list[str] = []
        if raw.status == "infeasible" and explain_infeasible:
            conflicts = find_conflicts(inst, req, time_limit_s=options.time_limit_s)
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
    progress: Progress | None = None,
    stop: StopCheck | None = None,
) -> Result:
    """Design the menu for ``objective`` (default: the scenario's ``objective`` block).

    ``options`` default to the scenario's ``solver`` block. An `Instance` may be passed
    instead of a scenario (then give ``base_scenario`` for its defaults, or the
    library defaults apply). ``progress`` gets the search's `SearchProgress` between
    chunks of work; ``stop()`` returning True ends it early with the best menu so far
    (status ``feasible``, ``stopped="interrupted"``).
    """
    started = time.perf_counter()
    spec = scenario if isinstance(scenario, Scenario) else base_scenario
    inst = compile_instance(scenario) if isinstance(scenario, Scenario) else scenario
    kind = objective or (spec.objective.kind if spec is not None else "max_profit")
    uptake = min_uptake
    if uptake is None and spec is not None:
        uptake = spec.objective.min_uptake
    if options is None:
        options = SolverOptions.from_spec(spec.solver) if spec is not None else SolverOptions()
    req = requirements_for(inst, kind, uptake)
    # the time limit covers the whole solve: compiling the instance counts against it
    options = replace(options, time_limit_s=_left(options.time_limit_s, started))
    return solve_requirements(inst, kind, req, options, progress=progress, stop=stop)


#: Least time a solver is given, seconds, however much of the limit preparation used.
MIN_SOLVE_S = 0.05


def _left(limit_s: float, since: float) -> float:
    """What is left of ``limit_s`` seconds after what has run since ``since``."""
    return max(limit_s - (time.perf_counter() - since), MIN_SOLVE_S)
