"""Notices of a plan: facts the caller should know about the answer (crow-fly streets,
points joined to the streets by a long straight link, transit that does not run at the
planned time, a feed of the network that runs no trip on its service day, itineraries
that leave after the requested time, the age of each GBFS snapshot against the planned
time, stations without status)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from maasmix.engine.itinerary import Journey
from maasmix.engine.plan_query import Query
from maasmix.servicetime import format_clock

__all__ = ["notices"]


def notices(
    q: Query,
    moment: dt.datetime,
    modes: Sequence[str],
    itineraries: Sequence[Journey] = (),
    when_s: int | None = None,
    arrive_by: bool = False,
) -> list[str]:
    """The plan's notices, in this order: crow-fly streets; an origin or destination
    joined to the streets by a long straight link; each feed that runs no trip on the
    network's service day (with its service period); transit that does not run at the
    planned time; each itinerary that leaves after the requested time (arrive-by: arrives
    before it) and why; the age of each GBFS snapshot and stations without status."""
    out: list[str] = []
    if q.crow:
        out.append(
            f"no street network: street legs are crow-fly distance x {q.cn.detour_factor:g} "
            "(detour factor), with straight-line geometry; a leg's distance is its "
            "geometry's length x that factor"
        )
    out += q.links
    if "TRANSIT" in modes:
        out += _idle_feeds(q)
    if when_s is not None:
        if "TRANSIT" in modes and not any(j.rides for j in itineraries):
            out += _no_transit(q, moment, when_s, arrive_by)
        out += _waits(itineraries, when_s, arrive_by)
    if any(m.endswith("_RENTAL") for m in modes):
        for r in q.rentals:
            age = (moment - r.last_updated).total_seconds()
            if abs(age) > max(r.snapshot.system.ttl_s, 60) * 2:
                side = "before" if age > 0 else "after"
                out.append(
                    f"GBFS {r.system_id}: the snapshot is of {r.last_updated.isoformat()}, "
                    f"{_span(abs(age))} {side} the planned time; availability is as it was then"
                )
            if not r.has_status:
                extra = "assumed available" if q.opt.assume_available else "not used for rentals"
                out.append(f"GBFS {r.system_id}: stations without live status ({extra})")
    return out


def _idle_feeds(q: Query) -> list[str]:
    """One notice per feed of a merged network that runs no trip on its service day,
    naming that feed's service period."""
    day = q.net.date.isoformat()
    out: list[str] = []
    for f in q.cn.feed_periods:
        if f.trips:
            continue
        when = (
            f"its service period is {f.period[0].isoformat()} to {f.period[1].isoformat()}"
            if f.period is not None
            else "it has no service on any date"
        )
        out.append(f"GTFS {f.label}: no trip runs on the service day {day} ({when})")
    return out


def _no_transit(q: Query, moment: dt.datetime, when_s: int, arrive_by: bool) -> list[str]:
    """Why no itinerary rides transit, when the timetable says so: the planned time is on
    another day than the network's service day, or no trip runs after (before) it."""
    tt = q.tt
    day = q.net.date
    out: list[str] = []
    if moment.date() != day:
        out.append(
            f"the network holds the timetable of the service day {day.isoformat()} only: at "
            f"{moment.isoformat()} only its trips running past midnight can be ridden; "
            "load the network for that date to plan its transit"
        )
    if arrive_by:
        arrivals = tt.st_arr[tt.st_arr <= when_s]
        if not len(arrivals):
            first = int(tt.st_arr.min()) if len(tt.st_arr) else None
            out.append(
                f"no transit trip of the service day {day.isoformat()} arrives by "
                f"{format_clock(when_s)}"
                + (f" (the first arrives at {format_clock(first)})" if first is not None else "")
            )
    elif not (tt.st_dep >= when_s).any():
        last = int(tt.st_dep.max()) if len(tt.st_dep) else None
        out.append(
            f"no transit trip of the service day {day.isoformat()} leaves after "
            f"{format_clock(when_s)}"
            + (f" (the last leaves at {format_clock(last)})" if last is not None else "")
        )
    return out


def _waits(itineraries: Sequence[Journey], when_s: int, arrive_by: bool) -> list[str]:
    """One notice per itinerary that does not start at the requested time (arrive-by: end
    at it) by more than a minute: it leaves later so as to board its first ride without
    waiting at the stop (arrives earlier because the next ride would be too late)."""
    out: list[str] = []
    for n, j in enumerate(itineraries, start=1):
        gap = (when_s - j.arrival_s) if arrive_by else (j.departure_s - when_s)
        if gap <= 60 or not j.rides:
            continue
        ride = next(leg for leg in (reversed(j.legs) if arrive_by else j.legs) if leg.is_transit)
        name = ride.route_short_name or ride.route_id or ride.mode
        if arrive_by:
            out.append(
                f"itinerary {n} ({j.combination}) arrives at {format_clock(j.arrival_s)}, "
                f"{_span(gap)} before the requested time: its last ride ({ride.mode.lower()} "
                f"{name} to {ride.to_name}, at {format_clock(ride.end_s)}) is the latest "
                "that arrives in time"
            )
        else:
            out.append(
                f"itinerary {n} ({j.combination}) leaves at {format_clock(j.departure_s)}, "
                f"{_span(gap)} after the requested time, to board its first ride "
                f"({ride.mode.lower()} {name} at {format_clock(ride.start_s)} from "
                f"{ride.from_name}) without waiting at the stop"
            )
    return out


def _span(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
