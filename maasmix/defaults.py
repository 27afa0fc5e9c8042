"""Routing defaults: one value for each, used by Python, the CLI and HTTP alike.

Every interface takes its defaults from here, so the same query gives the same answer
whichever way it is asked.
"""

from __future__ import annotations

__all__ = [
    "DETOUR_FACTOR",
    "MAX_TRANSFERS",
    "MAX_WALK_M",
    "MIN_TRANSFER_S",
    "PROFILE_STEP_S",
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
