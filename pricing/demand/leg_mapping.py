"""Which planned legs count as which scenario mode, and how many units they use.

A scenario's ``planning.legs`` rules (`maasmix.pricing.scenario.LegRule`, first match
wins) map every leg of a planned itinerary to a scenario mode or ignore it. Leg types:
``walk``, ``bicycle`` (own bike), ``car`` (own car, the car alternative), ``transit``
(matched further by ``agencies`` and ``route_types``), and ``bicycle_rental``,
``scooter_rental``, ``moped_rental``, ``car_rental`` (matched by GBFS ``systems``).

Without rules, modes are matched by name as a traveller's bundle is
(`maasmix.pricing.scenario.traveller_bundle.mode_kind`: ``transit``/``bus``/... -> transit legs,
``bike`` -> bicycle rentals, ``scooter`` -> scooter rentals, ...), and walking, own bikes
and own cars are ignored.

Units of a mapped mode, per itinerary: ``trip`` 1 when any leg counts as the mode (a
journey with a transfer is one transit trip); ``ride`` one per leg; ``minute`` the legs'
minutes; ``km`` their kilometres. ``day`` cannot be counted from one trip and is refused
by the scenario's validation.

`check_network` lists every leg type a network can produce that no rule covers, before
anything is planned, so an unmapped leg type is an error naming the scenario field, not
a surprise after an hour of planning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from maasmix.engine.bundle_prices import rental_kind
from maasmix.engine.itinerary import Leg
from maasmix.engine.network import Network
from maasmix.engine.planner import MODES
from maasmix.pricing.scenario import LegRule, Scenario
from maasmix.pricing.scenario.traveller_bundle import mode_kind

__all__ = ["LegMapping", "check_network", "leg_mapping", "leg_type"]

_KIND_LEGS = {
    "transit": "transit",
    "bicycle": "bicycle_rental",
    "scooter": "scooter_rental",
    "moped": "moped_rental",
    "car": "car_rental",
}


def leg_type(leg: Leg) -> str:
    """The `maasmix.pricing.scenario.LegType` of a planned leg."""
    if leg.rental is not None:
        kind = rental_kind(leg.rental.form_factor) or leg.rental.form_factor
        return f"{kind}_rental"
    if leg.is_transit:
        return "transit"
    return leg.mode.lower()


def _matches(rule: LegRule, kind: str, agency: str, route_type: int, system: str) -> bool:
    if rule.legs != kind:
        return False
    if rule.agencies is not None and agency not in rule.agencies:
        return False
    if rule.route_types is not None and route_type not in rule.route_types:
        return False
    return rule.systems is None or system in rule.systems


@dataclass(frozen=True)
class LegMapping:
    """The rules in force (``rules``), the scenario modes and their units."""

    rules: tuple[LegRule, ...]
    modes: tuple[str, ...]
    units: dict[str, str]

    def rule_for(
        self, kind: str, agency: str = "", route_type: int = -1, system: str = ""
    ) -> int | None:
        """Index of the first rule matching a leg's description (None: no rule)."""
        for i, rule in enumerate(self.rules):
            if _matches(rule, kind, agency, route_type, system):
                return i
        return None

    def mode_of(self, leg: Leg) -> str | None:
        """The scenario mode a leg counts as; None when it is ignored.

        Raises
        ------
        KeyError
            No rule covers the leg (the message says what the leg is).
        """
        kind = leg_type(leg)
        i = self.rule_for(
            kind,
            agency=leg.agency_id or "",
            route_type=-1 if leg.route_type is None else int(leg.route_type),
            system=leg.rental.system_id if leg.rental is not None else "",
        )
        if i is None:
            raise KeyError(describe_leg(leg))
        return self.rules[i].mode

    def count(self, mode: str, legs: Sequence[Leg]) -> float:
        """Units of ``mode`` used by ``legs`` (all counted as ``mode``)."""
        unit = self.units_of(mode)
        if not legs:
            return 0.0
        if unit == "trip":
            return 1.0
        if unit == "ride":
            return float(len(legs))
        if unit == "minute":
            return sum(leg.duration_s for leg in legs) / 60.0
        return sum(leg.distance_m or 0.0 for leg in legs) / 1000.0

    def units_of(self, mode: str) -> str:
        """The unit of a scenario mode."""
        return self.units[mode]


def describe_leg(leg: Leg) -> str:
    """A leg's type as a person reads it, e.g. ``transit leg (agency 'HSL', route_type 0)``."""
    kind = leg_type(leg)
    if leg.rental is not None:
        return f"{kind} leg (GBFS system {leg.rental.system_id!r})"
    if kind == "transit":
        return f"transit leg (agency {leg.agency_id!r}, route_type {leg.route_type})"
    return f"{kind} leg"


def leg_mapping(scenario: Scenario) -> LegMapping:
    """The scenario's rules, or the rules by mode name (see the module docstring)."""
    units: dict[str, str] = {m: spec.unit for m, spec in scenario.modes.items()}
    planning = scenario.planning
    if planning is not None and planning.legs is not None:
        rules = tuple(planning.legs)
    else:
        named: list[LegRule] = []
        seen: set[str] = set()
        for mode in scenario.modes:
            kind = mode_kind(mode)
            legs = _KIND_LEGS.get(kind or "")
            if legs is not None and legs not in seen and units[mode] != "day":
                seen.add(legs)
                named.append(LegRule.model_validate({"legs": legs, "mode": mode}))
        for legs in ("walk", "bicycle", "car"):
            named.append(LegRule.model_validate({"legs": legs, "ignore": True}))
        rules = tuple(named)
    return LegMapping(rules, tuple(scenario.modes), units)


def check_network(
    mapping: LegMapping, network: Network, *, car: bool, modes: Sequence[str] = MODES
) -> list[str]:
    """Leg types ``network`` can produce that no rule covers, each as a phrase.

    ``car``: whether the own-car alternative is planned; ``modes``: the planner modes in
    use (`maasmix.engine.planner.parse_modes` names).
    """
    problems: list[str] = []
    kinds = ["walk"]
    if "BICYCLE" in modes:
        kinds.append("bicycle")
    if car:
        kinds.append("car")
    for kind in kinds:
        if mapping.rule_for(kind) is None:
            problems.append(f"{kind} legs")
    cn = network.compiled
    if "TRANSIT" in modes and cn.timetable.n_trips:
        pairs = {
            (str(a), int(t))
            for a, t in zip(cn.route_agency_ids, cn.timetable.route_types, strict=True)
        }
        for agency, route_type in sorted(pairs):
            if mapping.rule_for("transit", agency=agency, route_type=route_type) is None:
                problems.append(f"transit legs of agency {agency!r} with route_type {route_type}")
    for system in network.rentals:
        for vt in system.types.values():
            kind = f"{rental_kind(vt.form_factor) or vt.form_factor}_rental"
            if not vt.plannable or kind.upper() not in modes:
                continue
            if mapping.rule_for(kind, system=system.system_id) is None:
                problems.append(f"{kind} legs of GBFS system {system.system_id!r}")
    return sorted(set(problems))
