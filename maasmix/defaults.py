"""Routing defaults: one value for each, used by Python, the CLI and HTTP alike.

Every interface takes its defaults from here, so the same query gives the same answer
whichever way it is asked.
"""

from __future__ import annotations

__all__ = [
    "BIKE_SPEED_MPS",
    "DETOUR_FACTOR",
    "FARE_CONTAINS",
    "FILTER_SLACK_S",
    "LINK_NOTICE_M",
    "MAX_ACCESS_BIKE_S",
    "MAX_ACCESS_WALK_S",
    "MAX_DIRECT_WALK_S",
    "MAX_POINT_LINK_M",
    "MAX_RIDE_S",
    "MAX_SHORT_RANGE_VEHICLES",
    "MAX_SNAP_M",
    "MAX_TRANSFERS",
    "MAX_WALK_M",
    "MAX_WALK_TO_VEHICLE_M",
    "MAX_WALK_TO_VEHICLE_S",
    "MIN_RENTAL_RIDE_M",
    "MIN_TRANSFER_S",
    "NUM_ITINERARIES",
    "PROFILE_STEP_S",
    "RANGE_RESERVE",
    "RENTABLE_FORM_FACTORS",
    "RENTAL_DROPOFF_S",
    "RENTAL_PICKUP_S",
    "RIDER_CATEGORY",
    "RIDE_SPEED_FALLBACK_MPS",
    "RIDE_SPEED_MPS",
    "WALK_SPEED_MPS",
]

WALK_SPEED_MPS = 1.33
"""Walking speed, metres per second (4.8 km/h; OpenTripPlanner's default is 1.33 m/s)."""

MAX_WALK_M = 500.0
"""Longest footpath between two stops, metres (crow-fly)."""

DETOUR_FACTOR = 1.3
"""Street distance over crow-fly distance when no street graph is used."""

MAX_TRANSFERS = 8
"""At most this many transfers (rides minus one) in a journey."""

MIN_TRANSFER_S = 60
"""Minimum time between arriving at a stop and boarding the next trip there, seconds."""

PROFILE_STEP_S = 60
"""Step between departures of a range (profile) query, seconds."""

# ---------------------------------------------------------------- door-to-door planning

BIKE_SPEED_MPS = 5.0
"""Own-bike riding speed, metres per second (18 km/h; OpenTripPlanner's default is 5 m/s)."""

RIDE_SPEED_MPS: dict[tuple[str, str], float] = {
    ("bicycle", "human"): 4.5,
    ("bicycle", "electric_assist"): 5.5,
    ("bicycle", "electric"): 5.5,
    ("cargo_bicycle", "human"): 4.0,
    ("cargo_bicycle", "electric_assist"): 5.0,
    ("scooter", "electric"): 5.0,
    ("scooter_standing", "electric"): 5.0,
    ("scooter_seated", "electric"): 5.5,
    ("moped", "electric"): 7.0,
    ("moped", "combustion"): 7.0,
}
"""Shared-vehicle riding speed by GBFS (form factor, propulsion type), metres per second:
pedal bikes 16 km/h, e-bikes 20 km/h, cargo bikes 14.4/18 km/h, standing e-scooters
18 km/h (OpenTripPlanner's scooter default, 5 m/s), seated scooters 20 km/h, mopeds
25 km/h on city streets. A vehicle type's ``max_permitted_speed`` and a geofencing
zone's ``maximum_speed_kph`` cap it."""

RIDE_SPEED_FALLBACK_MPS = 4.5
"""Riding speed of a (form factor, propulsion) pair not listed in `RIDE_SPEED_MPS`."""

RENTABLE_FORM_FACTORS = frozenset(
    {"bicycle", "cargo_bicycle", "scooter", "scooter_standing", "scooter_seated", "moped"}
)
"""GBFS form factors planned on the cycling graph (cars and ``other`` are not planned)."""

RENTAL_PICKUP_S = 60
"""Seconds to unlock (or undock) a shared vehicle (OpenTripPlanner: 60 s)."""

RENTAL_DROPOFF_S = 30
"""Seconds to park (or dock) and end the rental of a shared vehicle (OpenTripPlanner: 30 s)."""

MAX_WALK_TO_VEHICLE_M = 800.0
"""Longest walk to a shared vehicle or station, metres (street distance)."""

MAX_WALK_TO_VEHICLE_S = 600
"""Longest walk to a shared vehicle or station, seconds (10 min)."""

MAX_ACCESS_WALK_S = 900
"""Longest walk to the first stop, or from the last stop or a parked vehicle, seconds."""

MAX_ACCESS_BIKE_S = 1200
"""Longest own-bike ride to the first stop, seconds (20 min)."""

MAX_RIDE_S = 3600
"""Longest ride on a shared vehicle or an own bike as a whole trip, seconds (1 h)."""

MAX_DIRECT_WALK_S = 3600
"""Longest walk-only trip, seconds (1 h)."""

RANGE_RESERVE = 1.1
"""A vehicle's ``current_range`` must cover the ride's length times this factor."""

MAX_SHORT_RANGE_VEHICLES = 8
"""Vehicles (nearest the origin) whose range may not cover the longest ride that are each
searched on their own, so a nearer short-range vehicle never hides one that can ride."""

MAX_SNAP_M = 1000.0
"""Farthest a coordinate may be from the nearest street node (or stop, crow-fly), metres;
beyond it the point is outside the network and the query is refused."""

MAX_POINT_LINK_M = 2000.0
"""Farthest an origin or destination may be from the nearest node of the street network,
metres: it is joined to that node by a straight walk (a notice says so when longer than
`LINK_NOTICE_M`); farther, the plan is refused naming the parameter and the distance."""

LINK_NOTICE_M = 100.0
"""An origin or destination farther than this from the street network gets a notice that
it is joined to the nearest street node by a straight line, metres."""

NUM_ITINERARIES = 6
"""At most this many itineraries in a plan (besides the best on each criterion, which a
plan always returns; see `maasmix.engine.plan_selection`)."""

FILTER_SLACK_S = 60
"""The itinerary filter chain (`maasmix.engine.plan_filters`) removes an itinerary when a
simpler option (walking all the way, the same trips without the rental) is at most this
many seconds later and walks at most this many seconds more; near-duplicates differ by
at most this much in time and walking."""

# ---------------------------------------------------------------- money

RIDER_CATEGORY = ""
"""Fares v2 rider category used when the caller names none and the feed marks no
category ``is_default_fare_category``: ``""`` prices with the products that name no
rider category (a feed's default category is used first when it has one)."""

MIN_RENTAL_RIDE_M = 100.0
"""A rented vehicle is ridden at least this far, metres (shorter rides are not planned)."""

FARE_CONTAINS = "exact"
"""How Fares v1 ``contains_id`` zones are read: ``"exact"`` (the GTFS specification: the
zones ridden through are the rule's zones) or ``"subset"`` (they are among them, for feeds
listing a ticket's valid zones, e.g. HSL)."""
