"""How large a scenario may make the model: estimated from the scenario alone, before any
price grid, candidate list or model row is allocated.

=========================  ============  ==============================================
field                      default       bounds
=========================  ============  ==============================================
``max_price``              1,000,000     a grid's ``max`` (major units per month)
``max_price_levels``       10,000        prices in one bundle's grid (a 0.05 step over
                                         500 major units; EUR 40-200 at 0.05 is 3,201)
``max_candidates``         1,000         candidate bundles (listed + generated)
``max_price_options``      5,000         (bundle, price) pairs over all candidates
``max_model_cells``        100,000       traveller classes x (bundle, price) pairs: the
                                         choice rows the model and the search evaluate
=========================  ============  ==============================================

The defaults keep what is accepted to models that build in seconds: the shipped demo
city (7 traveller classes x 13 bundles x 21 prices) is 1,911 cells, the 8 x 31 x 25
benchmark 6,200, the 107-bundle city-scale study (24 classes x 25 prices) 64,200. The
time limit covers the whole solve, building the model included (`maasmix.pricing.solve.objectives`).
The per-grid limit is a guard against absurd input (a step of a cent over a million), not
against a fine grid.

The limits are the user's on their own machine: a scenario may carry a ``limits:``
section (any of the fields above), the CLI takes ``--limit NAME=VALUE`` (repeatable) on
the ``bundles`` commands, Python takes ``with limits.override(max_price_levels=5000):``
(scoped) or `configure` (process-wide). Only a service caps them: inside ``with
capped(limits):`` a scenario's ``limits:`` section may ask for no more than ``limits``
(the HTTP service validates every request's scenario under its deployment settings,
``MAASMIX_SCENARIO_LIMITS__<FIELD>``), and a scenario asking for more is refused with a
message saying so. Without a cap (the CLI, notebooks) nothing is capped.

`size_problems(scenario)` returns the (field location, message) of each limit exceeded,
which `maasmix.pricing.scenario.validate_scenario` raises as a `ScenarioError` naming
the field, so ``bundles validate`` and ``bundles optimise`` (CLI and HTTP) refuse the
same scenarios with the same message. `estimate(scenario)` gives the figures,
`for_scenario(scenario)` the limits that apply to it. Nothing here reads the environment.
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
    "LIMIT_NAMES",
    "ScenarioLimits",
    "SizeEstimate",
    "capped",
    "capped_at",
    "configure",
    "current",
    "estimate",
    "for_scenario",
    "override",
    "parse_assignment",
    "size_problems",
]


@dataclass(frozen=True)
class ScenarioLimits:
    """Bounds on a scenario's size (see the module docstring)."""

    max_price: float = 1_000_000.0
    max_price_levels: int = 10_000
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


#: The names of the limits (the fields of `ScenarioLimits`).
LIMIT_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ScenarioLimits))

_process = ScenarioLimits()
_scoped: ContextVar[ScenarioLimits | None] = ContextVar("maasmix_scenario_limits", default=None)
#: The largest limits a scenario's ``limits:`` section may ask for, and where they are
#: set (None: no cap).
_cap: ContextVar[tuple[ScenarioLimits, str] | None] = ContextVar(
    "maasmix_scenario_limit_cap", default=None
)


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


@contextlib.contextmanager
def capped(limits: ScenarioLimits, source: str = "") -> Iterator[ScenarioLimits]:
    """Inside the block (this thread / task only), a scenario's ``limits:`` section may ask
    for no more than ``limits``; ``source`` names where the cap is set, for the error (e.g.
    a service's deployment setting)."""
    token = _cap.set((limits, source))
    try:
        yield limits
    finally:
        _cap.reset(token)


def capped_at() -> ScenarioLimits | None:
    """The cap in force (None: the limits are the user's to raise)."""
    found = _cap.get()
    return None if found is None else found[0]


def parse_assignment(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` (e.g. ``max_price_levels=5000``) as (name, value).

    Raises ValueError naming the known limits for an unknown name, a missing ``=`` or a
    value that is not a number >= 0.
    """
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in LIMIT_NAMES:
        known = ", ".join(LIMIT_NAMES)
        raise ValueError(f"expected NAME=VALUE with NAME one of {known}; got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}: {value.strip()!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name}: {value.strip()!r} is not a number >= 0")
    if name != "max_price":
        if number != math.floor(number):
            raise ValueError(f"{name}: {value.strip()!r} is not a whole number")
        return name, int(number)
    return name, number


def for_scenario(scenario: Scenario) -> ScenarioLimits:
    """The limits in force with the scenario's own ``limits:`` section applied (a capped
    value is checked by `size_problems`)."""
    asked = scenario.limits.model_dump(exclude_none=True) if scenario.limits else {}
    return current().replace(**asked)


def _how_to_raise(name: str, limits: ScenarioLimits) -> str:
    """Where the limit ``name`` comes from and how to raise it, for messages."""
    found = _cap.get()
    if found is not None and getattr(limits, name) >= getattr(found[0], name):
        where = f"; {found[1]}" if found[1] else ""
        return f"this service's cap{where}"
    return (
        f"raise it with `limits: {{{name}: N}}` in the scenario, `--limit {name}=N` "
        f"on the command line or `limits.override({name}=N)` in Python"
    )


def _cap_problems(scenario: Scenario) -> list[tuple[Location, str]]:
    """A scenario's ``limits:`` values above the cap (none without a cap)."""
    found = _cap.get()
    if found is None or scenario.limits is None:
        return []
    top_limits, source = found
    problems: list[tuple[Location, str]] = []
    for name, value in scenario.limits.model_dump(exclude_none=True).items():
        top = getattr(top_limits, name)
        if value > top:
            where = f" ({source})" if source else ""
            problems.append(
                (
                    ("limits", name),
                    f"{value:g} is above this service's cap of {top:g} for {name}{where}; "
                    "the service caps the limits a scenario may raise (on your own machine "
                    "the limits are yours: `--limit` or the scenario's `limits:`)",
                )
            )
    return problems


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
    """(location, message) of each size limit ``scenario`` exceeds (empty: within), its
    own ``limits:`` section applied; first any value of that section above the cap."""
    problems = _cap_problems(scenario)
    if problems:
        return problems
    limits = for_scenario(scenario)
    for loc, grid, _ in _grids(scenario):
        for name in ("min", "max", "step"):
            value = float(getattr(grid, name))
            if not math.isfinite(value) or value > limits.max_price:
                problems.append(
                    (
                        (*loc, name),
                        f"{value:g} is beyond the largest price a scenario may name "
                        f"({limits.max_price:g}; scenario limit max_price: "
                        f"{_how_to_raise('max_price', limits)})",
                    )
                )
        levels = grid_levels(grid)
        if levels > limits.max_price_levels:
            shown = "too many" if not math.isfinite(levels) else f"{levels:.0f}"
            problems.append(
                (
                    loc,
                    f"the grid has {shown} prices, more than {limits.max_price_levels} "
                    "(scenario limit max_price_levels: "
                    f"{_how_to_raise('max_price_levels', limits)}); or use a larger step",
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
                f"(scenario limit max_candidates: {_how_to_raise('max_candidates', limits)})",
            )
        )
    if size.price_options > limits.max_price_options:
        problems.append(
            (
                ("candidates",),
                f"{size.price_options} (bundle, price) pairs, more than "
                f"{limits.max_price_options} (scenario limit max_price_options: "
                f"{_how_to_raise('max_price_options', limits)})",
            )
        )
    if size.model_cells > limits.max_model_cells:
        problems.append(
            (
                ("segments",),
                f"{size.classes} traveller classes x {size.price_options} (bundle, price) "
                f"pairs = {size.model_cells} model cells, more than {limits.max_model_cells} "
                f"(scenario limit max_model_cells: {_how_to_raise('max_model_cells', limits)})",
            )
        )
    return problems
