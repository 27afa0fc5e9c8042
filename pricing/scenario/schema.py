"""The pricing scenario: pydantic models of the YAML file a city analyst writes by hand.

A scenario names the currency, the **modes** (with their operator, unit and prices), the
**segments** of travellers (size, monthly usage, choice model), the **offers** that are
always available (e.g. the city's monthly pass), the **candidate bundles** and their price
grids, and the **policy** (subsidy, operator floors, menu size, surplus floors, ladder).

Money in the file is written in *major* units (``49.00`` euros) for the analyst; it is
converted to integer minor units (cents) when the scenario is compiled (see
`pricing._money`). Usage is in the mode's unit per traveller per month. Utilities are in
utils; ``price_sensitivity`` is utils per major currency unit.

Reading and validation (file, line and field named in every error) are in
`maasmix.pricing.scenario.reading`.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from maasmix.money import currency_codes, is_currency

Unit = Literal["trip", "minute", "km", "ride", "day"]
#: Units of a mode included in a bundle per month: a number, or ``"unlimited"``.
Level = Annotated[float, Field(ge=0)] | Literal["unlimited"]
Name = Annotated[str, Field(min_length=1, max_length=80)]


#: The largest number a float field holds: a larger JSON number is refused, so the JSON
#: Schema bounds every ``number`` by it.
FLOAT_MAX = sys.float_info.max


def _bound_numbers(node: Any) -> None:
    """Bound every ``number`` schema under ``node`` (not following references) to
    +-`FLOAT_MAX`, where no bound of its own is stated."""
    if isinstance(node, list):
        for item in node:
            _bound_numbers(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "number":
        if "minimum" not in node and "exclusiveMinimum" not in node:
            node["minimum"] = -FLOAT_MAX
        if "maximum" not in node and "exclusiveMaximum" not in node:
            node["maximum"] = FLOAT_MAX
    for key in ("anyOf", "items", "additionalProperties"):
        _bound_numbers(node.get(key))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's JSON Schema with every number bounded (`_bound_numbers`)."""
        json_schema = handler(core_schema)
        target = handler.resolve_ref_schema(json_schema)
        for prop in target.get("properties", {}).values():
            _bound_numbers(prop)
        return json_schema


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


#: A JSON Schema: an object whose ``prices`` is a price grid.
_GRID_GIVEN: dict[str, Any] = {"required": ["prices"], "properties": {"prices": {"type": "object"}}}


class Candidates(_Model):
    """Candidate bundles: listed ones, generated ones, or both (at least one of them), each
    with its own price grid or the default ``prices`` (the JSON Schema says so,
    `maasmix.pricing.scenario.validate_scenario` checks it)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "anyOf": [
                        {"required": ["listed"], "properties": {"listed": {"minItems": 1}}},
                        {"required": ["generate"], "properties": {"generate": {"type": "object"}}},
                    ]
                },
                {
                    "anyOf": [
                        {"required": ["prices"], "properties": {"prices": {"type": "object"}}},
                        {
                            "properties": {
                                "listed": {"items": _GRID_GIVEN},
                                "generate": {"anyOf": [{"type": "null"}, _GRID_GIVEN]},
                            }
                        },
                    ]
                },
            ]
        }
    )
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
    segment becomes one with ``derived`` figures (see `maasmix.pricing.demand.diaries`).
    A typed segment gives ``size`` and ``usage``; ``derived`` figures replace tastes;
    ``classes`` and ``mixed`` exclude each other (the JSON Schema says so,
    `maasmix.pricing.scenario.validate_scenario` checks it).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"required": ["diary"], "properties": {"diary": {"type": "string"}}},
                    "then": {
                        "properties": {
                            "usage": {"type": "null"},
                            "size": {"type": "null"},
                            "derived": {"type": "null"},
                            "choice": {"properties": {"taste": {"maxProperties": 0}}},
                        }
                    },
                    "else": {
                        "required": ["usage", "size"],
                        "properties": {"usage": {"type": "object"}, "size": {"type": "number"}},
                    },
                },
                {
                    "if": {"required": ["derived"], "properties": {"derived": {"type": "object"}}},
                    "then": {
                        "properties": {"choice": {"properties": {"taste": {"maxProperties": 0}}}}
                    },
                },
                {
                    "not": {
                        "required": ["classes", "mixed"],
                        "properties": {"classes": {"type": "array"}, "mixed": {"type": "object"}},
                    }
                },
            ]
        }
    )

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
    count as scenario ``mode`` in its unit, or are ``ignore``d. First matching rule wins.
    An ``ignore`` given agrees with ``mode``: ``true`` without a mode, ``false`` with one
    (the JSON Schema says so too)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"not": {"required": ["ignore"]}},
                {"properties": {"ignore": {"const": True}, "mode": {"type": "null"}}},
                {
                    "required": ["mode"],
                    "properties": {"ignore": {"const": False}, "mode": {"type": "string"}},
                },
            ]
        }
    )

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
    """How diary segments are planned (see `maasmix.pricing.demand.diaries`)."""

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


def _kind_required(schema: dict[str, Any]) -> None:
    """A subsidy instrument in a file names its ``kind``: the discriminated union reads the
    tag before any default applies, so the JSON Schema requires it too."""
    schema["required"] = ["kind", *schema.get("required", [])]


class ModeShareSubsidy(_Model):
    """The city pays ``share`` of the component of each bundle for ``modes``.

    The component is valued at the wholesale rate of the included units used.
    """

    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["mode_share"] = "mode_share"
    modes: list[str] = Field(min_length=1)
    share: float = Field(ge=0, le=1)


class PerSubscriberSubsidy(_Model):
    """The city pays a fixed monthly amount per subscriber of the target segments."""

    model_config = ConfigDict(json_schema_extra=_kind_required)

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
    """The scenario's own size limits (`maasmix.pricing.scenario.limits`): any field set here
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

    #: A diary segment needs the ``planning`` block (the JSON Schema says so,
    #: `maasmix.pricing.scenario.validate_scenario` checks it).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {
                    "segments": {
                        "additionalProperties": {
                            "not": {
                                "required": ["diary"],
                                "properties": {"diary": {"type": "string"}},
                            }
                        }
                    }
                }
            },
            "else": {"required": ["planning"], "properties": {"planning": {"type": "object"}}},
        }
    )

    name: Name
    description: str | None = None
    currency: str = Field(
        description="ISO 4217 code, e.g. EUR",
        json_schema_extra={"enum": list(currency_codes())},
    )
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
        None, description="size limits for this scenario (see maasmix.pricing.scenario.limits)"
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"not an ISO 4217 currency code: {value!r}")
        return value


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (committed as pricing/schema/scenario.schema.json)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://maasmix.example/schema/scenario.schema.json"
    return schema
