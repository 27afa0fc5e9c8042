"""How large a scenario may make the model: estimated from the scenario alone, before any
price grid, candidate list or model row is allocated.

=========================  ============  ==============================================
field                      default       bounds
=========================  ============  ==============================================
``max_price``              1,000,000     a grid's ``max`` (major units per month)
``max_price_levels``       1,000         prices in one bundle's grid
``max_candidates``         1,000         candidate bundles (listed + generated)
``max_price_options``      5,000         (bundle, price) pairs over all candidates
``max_model_cells``        100,000       traveller classes x (bundle, price) pairs: the
                                         choice rows the model and the search evaluate
=========================  ============  ==============================================

The defaults keep what is accepted to models that build in seconds: the shipped demo
city (7 traveller classes x 13 bundles x 21 prices) is 1,911 cells, the 8 x 31 x 25
benchmark 6,200, the 107-bundle city-scale study (24 classes x 25 prices) 64,200. The
time limit covers the whole solve, building the model included (`maasmix.pricing.objectives`).
Raise the limits for larger studies.
`size_problems(scenario)` returns the (field location, message) of each limit exceeded,
which `maasmix.pricing.scenario.validate_scenario` raises as a `ScenarioError` naming
the field, so ``bundles validate`` and ``bundles optimise`` (CLI and HTTP) refuse the
same scenarios with the same message. `estimate(scenario)` gives the figures.
The limits are process-wide (`configure`) or scoped (`override`); nothing here reads
the environment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maasmix.pricing.scenario import PriceGrid, Scenario

__all__ = [
    "ScenarioLimits",
    "SizeEstimate",
    "configure",
    "current",
    "estimate",
    "override",
    "size_problems",
]


@dataclass(frozen=True)
class ScenarioLimits:
    """Bounds on a scenario's size (see the module docstring)."""

    max_price: float = 1_000_000.0
    max_price_levels: int = 1_000
    max_candidates: int = 1_000
    max_price_options: int = 5_000
    max_model_cells: int = 100_000

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"scenario limit {item.name} must be >= 0, got {value!r}")

    def replace(self, **changes: Any) -> ScenarioLimits:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)


_process = ScenarioLimits()
_scoped: ContextVar[ScenarioLimits | None] = ContextVar("maasmix_scenario_limits", default=None)


def current() -> ScenarioLimits:
    """The limits in force."""
    scoped = _scoped.get()
    return scoped if scoped is not None else _process


def configure(limits: ScenarioLimits | None = None, **changes: Any) -> ScenarioLimits:
    """Set the process-wide limits."""
    global _process
    _process = (limits or _process).replace(**changes)
    return _process


@contextlib.contextmanager
def override(limits: ScenarioLimits | None = None, **changes: Any) -> Iterator[ScenarioLimits]:
    """Other limits inside a ``with`` block (this thread / task only)."""
    token = _scoped.set((limits or current()).replace(**changes))
    try:
        yield current()
    finally:
        _scoped.reset(token)


@dataclass(frozen=True)
class SizeEstimate:
    """A scenario's size, counted without building anything.

    ``candidates``: bundles (listed + generated, before duplicates are dropped);
    ``price_options``: (bundle, price) pairs; ``classes``: traveller classes over all
    segments (latent classes or mixed-logit draws count one each); ``model_cells``:
    classes x price options; ``max_levels``: the largest grid.
    """

    candidates: int
    price_options: int
    classes: int
    model_cells: int
    max_levels: int


Location = tuple[Any, ...]


def grid_levels(grid: PriceGrid) -> float:
    """Prices in a grid, as a float (may be huge or inf; never allocated)."""
    span = (float(grid.max) - float(grid.min)) / float(grid.step)
    if not math.isfinite(span):
        return math.inf
    return math.floor(span + 1e-9) + 1


def _grids(scenario: Scenario) -> list[tuple[Location, PriceGrid, int]]:
    """(location, grid, bundles using it) of every grid in use."""
    cands = scenario.candidates
    out: list[tuple[Location, PriceGrid, int]] = []
    default_users = 0
    for i, spec in enumerate(cands.listed):
        if spec.prices is not None:
            out.append((("candidates", "listed", i, "prices"), spec.prices, 1))
        else:
            default_users += 1
    if cands.generate is not None:
        generated = _generated(scenario)
        if cands.generate.prices is not None:
            out.append((("candidates", "generate", "prices"), cands.generate.prices, generated))
        else:
            default_users += generated
    if cands.prices is not None and default_users:
        out.append((("candidates", "prices"), cands.prices, default_users))
    return out


def _generated(scenario: Scenario) -> int:
    gen = scenario.candidates.generate
    if gen is None:
        return 0
    return math.prod(len(levels) for levels in gen.levels.values()) if gen.levels else 1


def estimate(scenario: Scenario) -> SizeEstimate:
    """The figures of `SizeEstimate` for ``scenario`` (nothing is allocated)."""
    grids = _grids(scenario)
    candidates = len(scenario.candidates.listed) + _generated(scenario)
    options = sum(grid_levels(g) * users for _, g, users in grids)
    classes = 0
    for seg in scenario.segments.values():
        if seg.classes is not None:
            classes += len(seg.classes)
        elif seg.mixed is not None:
            classes += seg.mixed.draws
        else:
            classes += 1
    levels = max((grid_levels(g) for _, g, _ in grids), default=0)
    cells = classes * options

    def whole(value: float) -> int:
        return int(value) if math.isfinite(value) and value < 2**62 else 2**62

    return SizeEstimate(candidates, whole(options), classes, whole(cells), whole(levels))


def size_problems(scenario: Scenario) -> list[tuple[Location, str]]:
    """(location, message) of each size limit ``scenario`` exceeds (empty: within)."""
    limits = current()
    problems: list[tuple[Location, str]] = []
    for loc, grid, _ in _grids(scenario):
        for name in ("min", "max", "step"):
            value = float(getattr(grid, name))
            if not math.isfinite(value) or value > limits.max_price:
                problems.append(
                    (
                        (*loc, name),
                        f"{value:g} is beyond the largest price a scenario may name "
                        f"({limits.max_price:g}; scenario limit max_price)",
                    )
                )
        levels = grid_levels(grid)
        if levels > limits.max_price_levels:
            shown = "too many" if not math.isfinite(levels) else f"{levels:.0f}"
            problems.append(
                (
                    loc,
                    f"the grid has {shown} prices, more than {limits.max_price_levels} "
                    "(scenario limit max_price_levels); use a larger step",
                )
            )
    if problems:
        return problems
    size = estimate(scenario)
    if size.candidates > limits.max_candidates:
        problems.append(
            (
                ("candidates",),
                f"{size.candidates} candidate bundles, more than {limits.max_candidates} "
                "(scenario limit max_candidates)",
            )
        )
    if size.price_options > limits.max_price_options:
        problems.append(
            (
                ("candidates",),
                f"{size.price_options} (bundle, price) pairs, more than "
                f"{limits.max_price_options} (scenario limit max_price_options)",
            )
        )
    if size.model_cells > limits.max_model_cells:
        problems.append(
            (
                ("segments",),
                f"{size.classes} traveller classes x {size.price_options} (bundle, price) "
                f"pairs = {size.model_cells} model cells, more than {limits.max_model_cells} "
                "(scenario limit max_model_cells)",
            )
        )
    return problems
