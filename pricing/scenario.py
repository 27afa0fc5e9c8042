"""The pricing scenario: pydantic models of the YAML file a city analyst writes by hand.

A scenario names the currency, the **modes** (with their operator, unit and prices), the
**segments** of travellers (size, monthly usage, choice model), the **offers** that are
always available (e.g. the city's monthly pass), the **candidate bundles** and their price
grids, and the **policy** (subsidy, operator floors, menu size, surplus floors, ladder).

Money in the file is written in *major* units (``49.00`` euros) for the analyst; it is
converted to integer minor units (cents) when the scenario is compiled (see
`pricing._money`). Usage is in the mode's unit per traveller per month. Utilities are in
utils; ``price_sensitivity`` is utils per major currency unit.

`load_scenario` reads a YAML file and raises `ScenarioError` (bad YAML, bad value)
or `ScenarioError` (values that contradict each other, e.g. an unknown mode)
naming the file, the line and the dotted field path.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from maasmix.errors import ScenarioError, ScenarioMissingError
from maasmix.money import is_currency
from maasmix.pricing.limits import size_problems

Unit = Literal["trip", "minute", "km", "ride", "day"]
#: Units of a mode included in a bundle per month: a number, or ``"unlimited"``.
Level = Annotated[float, Field(ge=0)] | Literal["unlimited"]
Name = Annotated[str, Field(min_length=1, max_length=80)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mode(_Model):
    """A transport mode sold through the MaaS app. Money in major units per unit used."""

    operator: Name = Field(description="transport operator that runs the mode, e.g. 'HSL'")
    unit: Unit = Field(description="what one unit of usage is")
    payg: float = Field(ge=0, description="pay-as-you-go price per unit (major units)")
    wholesale: float = Field(
        ge=0, description="rate the MaaS operator pays the transport operator per unit used"
    )
    marginal_cost: float = Field(
        0.0, ge=0, description="the transport operator's marginal cost per unit (major units)"
    )
    source: str | None = Field(None, description="where the figures come from")


class PriceGrid(_Model):
    """Monthly prices to try for a bundle: ``min``, ``min + step``, ... up to ``max``."""

    min: float = Field(ge=0, description="lowest monthly price (major units)")
    max: float = Field(ge=0, description="highest monthly price (major units)")
    step: float = Field(gt=0, description="grid step (major units)")

    @field_validator("max")
    @classmethod
    def _max_not_below_min(cls, value: float, info: Any) -> float:
        low = info.data.get("min")
        if low is not None and value < low:
            raise ValueError(f"max ({value}) is below min ({low})")
        return value


class BundleSpec(_Model):
    """One listed candidate bundle."""

    name: Name
    includes: dict[str, Level] = Field(
        description="units per month included for each mode ('unlimited' allowed)"
    )
    prices: PriceGrid | None = Field(None, description="price grid; default: candidates.prices")


class Generate(_Model):
    """Candidate bundles as the product of inclusion levels per mode."""

    levels: dict[str, list[Level]] = Field(
        description="inclusion levels per mode, e.g. bike: [0, 60, 300, unlimited]"
    )
    prices: PriceGrid | None = Field(None, description="price grid; default: candidates.prices")
    skip_empty: bool = Field(True, description="drop the bundle that includes nothing")


class Candidates(_Model):
    """Candidate bundles: listed ones, generated ones, or both."""

    prices: PriceGrid | None = Field(None, description="default price grid")
    listed: list[BundleSpec] = Field(default_factory=list)
    generate: Generate | None = None


class ModeUsage(_Model):
    """Monthly usage of one mode by one traveller of a segment (in the mode's unit)."""

    payg: float = Field(ge=0, description="usage when paying as you go")
    bundle: float | None = Field(
        None, ge=0, description="usage when the mode is included in the bundle (default: payg)"
    )


class ChoiceModel(_Model):
    """Logit utility of subscribing: asc + sum(taste[m] * included units used) - beta * price.

    The pay-as-you-go alternative has utility 0.
    """

    price_sensitivity: float = Field(gt=0, description="beta, utils per major currency unit")
    asc: float = Field(0.0, description="constant for subscribing to any bundle (utils)")
    taste: dict[str, float] = Field(
        default_factory=dict, description="utils per included unit actually used, per mode"
    )
    offers: dict[str, float] = Field(
        default_factory=dict, description="utility of each competing offer (utils)"
    )


class LatentClass(_Model):
    """A weighted sub-segment whose choice model overrides some fields of the segment's."""

    name: Name
    weight: float = Field(gt=0, le=1, description="share of the segment")
    price_sensitivity: float | None = Field(None, gt=0)
    asc: float | None = None
    taste: dict[str, float] | None = Field(None, description="merged over the segment's taste")
    offers: dict[str, float] | None = Field(None, description="merged over the segment's")


class MixedDraws(_Model):
    """Mixed logit with random price sensitivity (log-normal) and constant (normal).

    Integrated deterministically: ``draws`` equal-weight classes at the normal quantiles
    (k - 0.5) / draws, not by random sampling.
    """

    draws: int = Field(5, ge=2, le=50)
    price_sensitivity_cv: float = Field(0.0, ge=0, description="coefficient of variation")
    asc_sd: float = Field(0.0, ge=0, description="standard deviation of the constant")


class DerivedProduct(_Model):
    """What one traveller of a segment does with one bundle or offer (derived from a diary,
    or typed): monthly units per mode while subscribed, and what the product is worth."""

    usage: dict[str, Annotated[float, Field(ge=0)]] = Field(
        description="units per month per mode while subscribed (modes not named: 0)"
    )
    value: float = Field(
        description="money value per traveller per month (major units): the generalised "
        "cost of the month's trips paying as you go minus with the product (overflow "
        "spending included); the utility is asc + price_sensitivity * (value - price)"
    )


class Segment(_Model):
    """A group of similar travellers: typed usage and tastes, or a trip diary to plan.

    ``diary`` (a CSV or Parquet file, relative to the scenario file) replaces ``size``,
    ``usage`` and ``taste``: the trips are planned on ``planning.network`` and the
    segment becomes one with ``derived`` figures (see `maasmix.pricing.diary_demand`).
    """

    size: float | None = Field(None, gt=0, description="number of travellers")
    usage: dict[str, ModeUsage] | None = Field(
        None, description="monthly usage per mode (pay as you go; with a bundle unless derived)"
    )
    diary: str | None = Field(
        None, description="trip diary file (CSV or Parquet) whose rows of this segment are planned"
    )
    derived: dict[str, DerivedProduct] | None = Field(
        None,
        description="per bundle or offer name: usage while subscribed and its money value "
        "(written by diary planning; may be typed)",
    )
    choice: ChoiceModel
    value_of_time: float | None = Field(
        None, gt=0, description="major units per hour (diary planning; default planning.cost)"
    )
    classes: list[LatentClass] | None = Field(None, description="latent classes")
    mixed: MixedDraws | None = Field(None, description="mixed-logit draws")
    description: str | None = None


LegType = Literal[
    "walk",
    "bicycle",
    "transit",
    "bicycle_rental",
    "scooter_rental",
    "moped_rental",
    "car_rental",
    "car",
]
"""Kinds of planned leg: ``bicycle`` is an own bike, ``car`` an own car (the car
alternative of `CarOption`), ``*_rental`` a shared vehicle of a GBFS system."""


class LegRule(_Model):
    """Planned legs of one kind (optionally of some agencies, route types or GBFS systems)
    count as scenario ``mode`` in its unit, or are ``ignore``d. First matching rule wins."""

    legs: LegType
    agencies: list[str] | None = Field(None, description="transit: agency_id values")
    route_types: list[int] | None = Field(None, description="transit: GTFS route_type values")
    systems: list[str] | None = Field(None, description="rentals: GBFS system_id values")
    mode: str | None = Field(None, description="the scenario mode these legs count as")
    ignore: bool = Field(False, description="these legs are not sold through the MaaS app")

    @field_validator("ignore")
    @classmethod
    def _mode_or_ignore(cls, value: bool, info: Any) -> bool:
        if value == (info.data.get("mode") is not None):
            raise ValueError("give exactly one of 'mode' or 'ignore: true'")
        return value


class GeneralisedCost(_Model):
    """The generalised cost of an itinerary, in money (major units).

    ``value_of_time * (door-to-door time + (walk_weight - 1) * walking + (wait_weight - 1)
    * waiting + transfer_penalty_min * transfers) + out-of-pocket money``. Door-to-door
    time counts from the requested departure (to the requested arrival for arrive-by).
    Defaults: walking and waiting weigh twice in-vehicle time and a transfer costs five
    minutes (Wardman, "Public transport values of time", Transport Policy 11, 2004:
    walk and wait 1.5-2.5 x in-vehicle time, interchange penalty about 5-10 minutes).
    The value of time has no default: it is in the scenario's currency (e.g. one third to
    one half of the wage rate for commuting, Small 1992 as quoted by VTPI, Transportation
    Cost and Benefit Analysis II, 5.2).
    """

    value_of_time: float = Field(gt=0, description="major units per hour")
    walk_weight: float = Field(2.0, ge=1)
    wait_weight: float = Field(2.0, ge=1)
    transfer_penalty_min: float = Field(5.0, ge=0)
    scale: float | None = Field(
        None,
        gt=0,
        description="logit scale (1 / major unit) over a trip's itineraries; None: every "
        "trip takes its cheapest itinerary",
    )


class CarOption(_Model):
    """The own-car alternative of trips whose ``mode_today`` is ``car``: crow-fly distance
    x ``detour`` at ``speed_kmh``, plus ``access_min`` (to and from the car, parking)."""

    cost_per_km: float = Field(ge=0, description="major units per km (fuel, wear)")
    parking: float = Field(0.0, ge=0, description="major units per trip")
    speed_kmh: float = Field(25.0, gt=0, le=130)
    detour: float = Field(1.3, ge=1, le=3)
    access_min: float = Field(5.0, ge=0, le=60)


class NetworkFiles(_Model):
    """The network diary trips are planned on (paths relative to the scenario file)."""

    gtfs: list[str] = Field(default_factory=list)
    osm: str | None = None
    gbfs: list[str] = Field(default_factory=list)
    date: dt.date = Field(description="service date the trips are planned on")
    fare_contains: Literal["exact", "subset"] | dict[str, Literal["exact", "subset"]] | None = (
        Field(None, description="how Fares v1 contains_id is read (see maasmix plan)")
    )


class Planning(_Model):
    """How diary segments are planned (see `maasmix.pricing.diary_demand`)."""

    network: NetworkFiles
    cost: GeneralisedCost
    legs: list[LegRule] | None = Field(
        None,
        description="which legs count as which mode; default: by mode name (transit legs -> "
        "the transit mode, bike rentals -> the bike mode, ...), walking and own bikes ignored",
    )
    car: CarOption | None = Field(None, description="the car alternative for car users")
    modes: list[str] | None = Field(None, description="planner modes (default: all)")
    chunk_trips: int = Field(250, ge=1, le=100_000, description="trips per Dask task")
    assume_available: bool = Field(
        True,
        description="plan as if every station had a vehicle and a free dock: diary trips "
        "stand for a month of days, the GBFS snapshot for one moment",
    )
    num_itineraries: int = Field(8, ge=1, le=30, description="itineraries kept per trip")


class Offer(_Model):
    """A competing offer that is always available, e.g. the city's own monthly pass."""

    price: float = Field(ge=0, description="monthly price (major units)")
    operator: Name = Field(description="who receives the price")
    includes: dict[str, Level] = Field(default_factory=dict)
    source: str | None = None


class ModeShareSubsidy(_Model):
    """The city pays ``share`` of the component of each bundle for ``modes``.

    The component is valued at the wholesale rate of the included units used.
    """

    kind: Literal["mode_share"] = "mode_share"
    modes: list[str] = Field(min_length=1)
    share: float = Field(ge=0, le=1)


class PerSubscriberSubsidy(_Model):
    """The city pays a fixed monthly amount per subscriber of the target segments."""

    kind: Literal["per_subscriber"] = "per_subscriber"
    amount: float = Field(ge=0, description="major units per subscriber per month")
    segments: list[str] | None = Field(None, description="target segments (default: all)")


SubsidyInstrument = Annotated[ModeShareSubsidy | PerSubscriberSubsidy, Field(discriminator="kind")]


class Subsidy(_Model):
    """The city's subsidy instruments and monthly budget (paid to the MaaS operator)."""

    budget: float | None = Field(None, ge=0, description="monthly budget (major units)")
    instruments: list[SubsidyInstrument] = Field(default_factory=list)


class AmountFloor(_Model):
    """An operator floor stated as an amount of monthly earnings (major units)."""

    amount: float = Field(ge=0)


OperatorFloor = Literal["payg", "none"] | AmountFloor


class Policy(_Model):
    """What the city and the operators require of the menu."""

    menu_size: int = Field(3, ge=0, description="at most this many bundles (K)")
    price_ladder: bool = Field(True, description="a bundle that includes more never costs less")
    subsidy: Subsidy = Subsidy.model_validate({})
    operator_floor: OperatorFloor = Field(
        "payg",
        description="default floor on each transport operator's monthly earnings: 'payg' "
        "(what it earns today from these travellers), 'none', or {amount: ...}",
    )
    operator_floors: dict[str, OperatorFloor] = Field(
        default_factory=dict, description="per-operator overrides"
    )
    surplus_floors: dict[str, float] = Field(
        default_factory=dict,
        description="minimum consumer-surplus change per traveller per month (major units) "
        "per segment; may be negative",
    )


class MaaSOperator(_Model):
    """The MaaS operator selling the bundles."""

    name: Name = "MaaS operator"
    cost_per_subscriber: float = Field(0.0, ge=0, description="major units per month")


class Objective(_Model):
    """What to optimise."""

    kind: Literal["max_profit", "min_subsidy", "max_surplus"] = "max_profit"
    min_uptake: float | None = Field(
        None, ge=0, le=1, description="share of all travellers who must subscribe"
    )


class FrontierSpec(_Model):
    """The epsilon-constraint sweep: profit is maximised while ``sweep`` is constrained."""

    sweep: Literal["subsidy", "surplus", "both"] = "subsidy"
    points: int = Field(10, ge=2, le=200)


class SolverSpec(_Model):
    """How to solve: ``AUTO`` (every menu scored when that is cheap, else the exact branch
    and bound), ``ENUM`` (always the exhaustive search), ``BNB`` (always the branch and
    bound), or the MIP with ``SCIP`` or ``CBC`` (open solvers shipped with OR-Tools; their
    claims are checked exactly)."""

    name: Literal["AUTO", "ENUM", "BNB", "SCIP", "CBC"] = "AUTO"
    time_limit_s: float = Field(60.0, gt=0)
    relative_gap: float = Field(1e-6, ge=0)
    threads: int = Field(1, ge=1)


class LimitsSpec(_Model):
    """The scenario's own size limits (`maasmix.pricing.limits`): any field set here
    replaces the limit in force for this scenario; a service may cap them."""

    max_price: float | None = Field(None, ge=0, description="largest price a grid may name")
    max_price_levels: int | None = Field(None, ge=0, description="prices in one bundle's grid")
    max_candidates: int | None = Field(None, ge=0, description="candidate bundles")
    max_price_options: int | None = Field(
        None, ge=0, description="(bundle, price) pairs over all candidates"
    )
    max_model_cells: int | None = Field(
        None, ge=0, description="traveller classes x (bundle, price) pairs"
    )


class Scenario(_Model):
    """A bundle-design scenario (the top-level object of the YAML file)."""

    name: Name
    description: str | None = None
    currency: str = Field(description="ISO 4217 code, e.g. EUR")
    sources: list[str] = Field(default_factory=list, description="citations for the figures")
    maas: MaaSOperator = MaaSOperator.model_validate({})
    modes: dict[str, Mode] = Field(min_length=1)
    segments: dict[str, Segment] = Field(min_length=1)
    offers: dict[str, Offer] = Field(default_factory=dict)
    candidates: Candidates
    policy: Policy = Policy.model_validate({})
    objective: Objective = Objective.model_validate({})
    frontier: FrontierSpec = FrontierSpec.model_validate({})
    solver: SolverSpec = SolverSpec.model_validate({})
    planning: Planning | None = Field(None, description="how diary segments are planned")
    limits: LimitsSpec | None = Field(
        None, description="size limits for this scenario (see maasmix.pricing.limits)"
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"not an ISO 4217 currency code: {value!r}")
        return value


# ----------------------------------------------------------------------------- loading


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (committed as pricing/schema/scenario.schema.json)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://maasmix.example/schema/scenario.schema.json"
    return schema


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _clean_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the union-member tags pydantic inserts in error locations (not keys of the data)."""
    out: list[Any] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            out.append(part)
        elif isinstance(node, dict | list):
            if isinstance(part, str) and ("[" in part or part[:1].isupper() or part in _TAGS):
                continue
            out.append(part)  # a missing key: name it, then stop descending
            node = None
        else:
            continue
    return tuple(out)


_TAGS = {"mode_share", "per_subscriber", "float", "int", "str", "bool"}


def _yaml_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (the deepest one that exists)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    nxt = value
                    line = key.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
            if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
                line = node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _raise_validation(
    exc: ValidationError, data: Any, file: str | None, root: yaml.Node | None
) -> None:
    errors = exc.errors()
    first = errors[0]
    loc = _clean_loc(data, tuple(first.get("loc", ())))
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    raise ScenarioError(
        f"{first.get('msg', 'invalid value')}{more}",
        file=file,
        row=_yaml_line(root, loc),
        field=_field_path(loc) or None,
    ) from exc


def _check_references(s: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-field checks pydantic cannot express: (location, message) per problem."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    modes = set(s.modes)
    segs = set(s.segments)

    def mode_keys(keys: Any, where: tuple[Any, ...]) -> None:
        for key in keys:
            if key not in modes:
                problems.append(((*where, key), f"unknown mode {key!r} (modes: {sorted(modes)})"))

    for sid, seg in s.segments.items():
        where = ("segments", sid)
        if seg.diary is not None:
            for name in ("usage", "size", "derived"):
                if getattr(seg, name) is not None:
                    problems.append(((*where, name), f"a diary segment has no typed {name}"))
            if seg.choice.taste:
                problems.append(
                    ((*where, "choice", "taste"), "a diary segment's tastes come from planning")
                )
            if s.planning is None:
                problems.append(((*where, "diary"), "a diary needs a 'planning' block"))
        else:
            for name in ("usage", "size"):
                if getattr(seg, name) is None:
                    problems.append(((*where, name), f"give {name} (or a diary)"))
        if seg.derived is not None and seg.choice.taste:
            problems.append(((*where, "choice", "taste"), "derived figures replace tastes"))
        mode_keys(seg.usage or {}, ("segments", sid, "usage"))
        for pid, figures in (seg.derived or {}).items():
            mode_keys(figures.usage, ("segments", sid, "derived", pid, "usage"))
        mode_keys(seg.choice.taste, ("segments", sid, "choice", "taste"))
        for oid in seg.choice.offers:
            if oid not in s.offers:
                problems.append((("segments", sid, "choice", "offers", oid), "unknown offer"))
        for oid in s.offers:
            if seg.diary is not None or (seg.derived is not None and oid in seg.derived):
                continue  # the offer's utility follows from its derived value
            has_class_value = seg.classes is not None and all(
                c.offers is not None and oid in c.offers for c in seg.classes
            )
            if oid not in seg.choice.offers and not has_class_value:
                problems.append(
                    (("segments", sid, "choice", "offers"), f"no utility for offer {oid!r}")
                )
        if seg.classes is not None and seg.mixed is not None:
            problems.append((("segments", sid, "mixed"), "use either classes or mixed, not both"))
        if seg.classes is not None:
            total = sum(c.weight for c in seg.classes)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                problems.append((("segments", sid, "classes"), f"weights sum to {total}, not 1"))
            names = [c.name for c in seg.classes]
            if len(set(names)) != len(names):
                problems.append((("segments", sid, "classes"), "duplicate class names"))
            for i, c in enumerate(seg.classes):
                if c.taste is not None:
                    mode_keys(c.taste, ("segments", sid, "classes", i, "taste"))
    for oid, offer in s.offers.items():
        mode_keys(offer.includes, ("offers", oid, "includes"))
    cands = s.candidates
    for i, b in enumerate(cands.listed):
        mode_keys(b.includes, ("candidates", "listed", i, "includes"))
        if b.prices is None and cands.prices is None:
            problems.append((("candidates", "listed", i), "no price grid (and no default)"))
    names = [b.name for b in cands.listed]
    if len(set(names)) != len(names):
        problems.append((("candidates", "listed"), "duplicate bundle names"))
    if cands.generate is not None:
        mode_keys(cands.generate.levels, ("candidates", "generate", "levels"))
        if cands.generate.prices is None and cands.prices is None:
            problems.append((("candidates", "generate"), "no price grid (and no default)"))
    if not cands.listed and cands.generate is None:
        problems.append((("candidates",), "no candidate bundles: give listed or generate"))
    if s.planning is not None:
        for i, rule in enumerate(s.planning.legs or []):
            if rule.mode is not None:
                mode_keys([rule.mode], ("planning", "legs", i, "mode"))
                if rule.mode in modes and s.modes[rule.mode].unit == "day":
                    problems.append(
                        (("planning", "legs", i, "mode"), "planned legs cannot count in days")
                    )
    pol = s.policy
    operators = {m.operator for m in s.modes.values()}
    for op in pol.operator_floors:
        if op not in operators:
            problems.append(
                (("policy", "operator_floors", op), f"unknown operator ({sorted(operators)})")
            )
    for sid in pol.surplus_floors:
        if sid not in segs:
            problems.append((("policy", "surplus_floors", sid), "unknown segment"))
    for i, ins in enumerate(pol.subsidy.instruments):
        if isinstance(ins, ModeShareSubsidy):
            mode_keys(ins.modes, ("policy", "subsidy", "instruments", i, "modes"))
        elif ins.segments is not None:
            for sid in ins.segments:
                if sid not in segs:
                    problems.append(
                        (
                            ("policy", "subsidy", "instruments", i, "segments"),
                            f"unknown segment {sid!r}",
                        )
                    )
    return problems


def validate_scenario(
    data: Any, *, file: str | None = None, root: yaml.Node | None = None
) -> Scenario:
    """Validate a parsed scenario (a dict, e.g. a JSON request body) into a `Scenario`.

    Raises
    ------
    ScenarioError
        A value has the wrong type or range (field path and, from YAML, line).
    ScenarioError
        Values contradict each other (unknown mode, offer, segment or operator).
    """
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a mapping at the top level", file=file, row=1)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        _raise_validation(exc, data, file, root)
        raise  # unreachable: _raise_validation always raises
    problems = _check_references(scenario)
    if not problems:  # sizes estimated before anything is allocated (pricing.limits)
        problems = size_problems(scenario)
    if problems:
        loc, message = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ScenarioError(
            message + more, file=file, row=_yaml_line(root, loc), field=_field_path(loc)
        )
    return scenario


def parse_scenario(text: str, *, file: str | None = None) -> Scenario:
    """Parse and validate scenario YAML text (``file`` names it in errors)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
            file=file,
            row=None if mark is None else mark.line + 1,
        ) from exc
    return validate_scenario(data, file=file, root=root)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML file. See `validate_scenario` for the errors raised."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioMissingError("scenario file not found", file=str(p))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError("scenario file is not UTF-8 text", file=str(p)) from exc
    return parse_scenario(text, file=str(p))


def example_path(name: str) -> Path:
    """The path of a shipped example scenario (``demo_city`` or ``hand_check``)."""
    path = Path(__file__).parent / "examples" / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(example_names())
        raise ScenarioMissingError(
            f"no example scenario named {name!r} (known: {known})", file=f"{name}.yaml"
        )
    return path


def example_names() -> list[str]:
    """The names of the shipped example scenarios."""
    return sorted(p.stem for p in (Path(__file__).parent / "examples").glob("*.yaml"))
