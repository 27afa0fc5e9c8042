"""HTTP routes about the loaded networks: ``GET /v1/networks`` (what each serves) and
``POST /v1/networks/{name}/refresh`` (re-read its GBFS status now; ``write`` scope).

No file path of the server reaches a body: a feed is shown by its id prefix (label) and
its file name only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from maasmix.api.deployment import DEFAULT_GBFS_MAX_AGE_S, NetworkSpec
from maasmix.api.problems import problem_responses
from maasmix.api.security import WriteKey
from maasmix.engine.network import Network

router = APIRouter(
    prefix="/networks", tags=["networks"], responses=problem_responses(401, 403, 404)
)

__all__ = ["NetworkOut", "RealtimeOut", "network_out", "realtime_out", "register_spec", "router"]


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class FeedOut(_Out):
    """One GTFS feed of a network."""

    label: str = Field(description="the id prefix of its stops, routes and trips")
    file: str = Field(description="its file or URL name (no server path)")
    fare_contains: str | None = Field(description="Fares v1 contains_id reading, if set")


class GbfsOut(_Out):
    """One GBFS system of a network and the age of its status."""

    system_id: str
    name: str
    last_updated: dt.datetime
    age_s: float = Field(description="seconds since last_updated")
    ttl_s: int
    max_age_s: float | None = Field(description="/ready fails beyond this age (null: never)")
    vehicles: int = Field(description="free-floating vehicles available")
    stations: int


class RealtimeOut(_Out):
    """One GTFS-Realtime source of a network and the age of its last good message."""

    source: str = Field(description="its file or URL name (no server path)")
    feed: str | None = Field(description="the GTFS feed label its ids belong to")
    poll_s: float
    max_age_s: float | None = Field(description="/ready fails beyond this age (null: never)")
    message_time: dt.datetime | None = Field(
        description="header timestamp of the last good message (null: none yet)"
    )
    applied_at: dt.datetime | None = Field(description="when it was applied")
    checked_at: dt.datetime | None = Field(description="the last poll")
    age_s: float | None = Field(description="seconds since the last good message")
    stale: bool = Field(description="older than max_age_s, or no good message yet")
    error: str | None = Field(description="why the last read failed; the last good state kept")
    failures: int
    applied: int = Field(description="messages applied since start")
    unknown_trips: int = Field(description="trip updates of the last message matching no trip")


class NetworkOut(_Out):
    """A network the server plans on."""

    name: str
    default: bool = Field(description="plans without network= use it")
    service_date: dt.date
    timezone: str
    feeds: list[FeedOut]
    agencies: list[str] = Field(description="agency ids (prefixed like the feeds' ids)")
    stops: int
    trips: int
    streets: bool = Field(description="an OSM street graph (else crow-fly distances)")
    gbfs: list[GbfsOut]
    realtime: list[RealtimeOut] = Field(default_factory=list)
    realtime_time: dt.datetime | None = Field(
        None, description="time of the realtime snapshot plans use (null: the schedule)"
    )


class NetworksOut(_Out):
    """Every loaded network, the default first."""

    networks: list[NetworkOut]


class RefreshOut(_Out):
    """The outcome of a refresh."""

    name: str
    refreshed: list[str] = Field(description="system ids whose status was re-read")
    failed: dict[str, str] = Field(description="system id -> why its status was kept")
    gbfs: list[GbfsOut]


def register_spec(app: Any, spec: NetworkSpec) -> None:
    """Remember the deployment entry a network was built from (for ``/v1/networks``)."""
    specs: dict[str, NetworkSpec] = getattr(app.state, "network_specs", None) or {}
    specs[spec.name] = spec
    app.state.network_specs = specs


def _file_name(source: str) -> str:
    return PurePosixPath(source.split("?", 1)[0].rstrip("/")).name or source[:64]


def _gbfs(net: Network, spec: NetworkSpec | None, now: dt.datetime) -> list[GbfsOut]:
    out = []
    for i, system in enumerate(net.rentals):
        limit: float | None = DEFAULT_GBFS_MAX_AGE_S
        if spec is not None and i < len(spec.gbfs_systems):
            limit = spec.gbfs_systems[i].max_age_s
        snapshot = system.snapshot
        out.append(
            GbfsOut(
                system_id=system.system_id,
                name=str(snapshot.system.name or system.system_id),
                last_updated=system.last_updated,
                age_s=round((now - system.last_updated).total_seconds(), 3),
                ttl_s=int(snapshot.system.ttl_s),
                max_age_s=limit,
                vehicles=len(system.vehicle_ids),
                stations=len(snapshot.stations),
            )
        )
    return out


def realtime_out(poller: Any, name: str, now: dt.datetime) -> list[RealtimeOut]:
    """The realtime sources of network ``name`` as `RealtimePoller` last saw them."""
    if poller is None:
        return []
    out = []
    for s in poller.status(name):
        age = s.age_s(now)
        out.append(
            RealtimeOut(
                source=s.name,
                feed=s.spec.feed,
                poll_s=s.spec.poll_s,
                max_age_s=s.spec.max_age_s,
                message_time=s.message_time,
                applied_at=s.applied_at,
                checked_at=s.checked_at,
                age_s=None if age is None else round(age, 3),
                stale=age is None or not s.fresh(now),
                error=s.error,
                failures=s.failures,
                applied=s.applied,
                unknown_trips=s.unknown_trips,
            )
        )
    return out


def network_out(
    name: str,
    net: Network,
    spec: NetworkSpec | None,
    *,
    default: bool,
    now: dt.datetime,
    poller: Any = None,
) -> NetworkOut:
    """What ``GET /v1/networks`` says of one network (``poller``: the server's
    `maasmix.api.realtime_refresh.RealtimePoller`)."""
    tt = net.compiled.timetable
    feeds: list[FeedOut] = []
    if spec is not None:
        labels = _labels([f.id_prefix or f.source for f in spec.feeds])
        feeds = [
            FeedOut(label=label, file=_file_name(f.source), fare_contains=f.fare_contains)
            for label, f in zip(labels, spec.feeds, strict=True)
        ]
    agencies = sorted({str(a) for a in net.compiled.route_agency_ids if str(a)})
    return NetworkOut(
        name=name,
        default=default,
        service_date=net.date,
        timezone=net.timezone,
        feeds=feeds,
        agencies=agencies,
        stops=int(tt.n_stops),
        trips=int(tt.n_trips),
        streets=net.compiled.walk is not None,
        gbfs=_gbfs(net, spec, now),
        realtime=realtime_out(poller, name, now),
        realtime_time=net.realtime.time if net.realtime.is_live else None,
    )


def _labels(sources: list[str]) -> list[str]:
    """The label of each feed as `maasmix.feeds.network_inputs` gives it (file stem,
    numbered when repeated)."""
    stems = [_file_name(s).removesuffix(".zip") or f"feed{i}" for i, s in enumerate(sources)]
    seen: dict[str, int] = {}
    out = []
    for stem in stems:
        seen[stem] = seen.get(stem, 0) + 1
        out.append(stem if seen[stem] == 1 else f"{stem}{seen[stem]}")
    return out


def _now(request: Request) -> dt.datetime:
    clock = getattr(request.app.state, "clock", None)
    return (clock() if clock else None) or dt.datetime.now(dt.UTC)


def _loaded(request: Request) -> dict[str, Network]:
    return getattr(request.app.state, "networks", None) or {}


@router.get(
    "", operation_id="list_networks", response_model=NetworksOut, response_model_by_alias=True
)
def list_networks(request: Request) -> NetworksOut:
    """The networks this server plans on: feeds, service date, agencies, GBFS systems,
    realtime sources and their age."""
    specs: dict[str, NetworkSpec] = getattr(request.app.state, "network_specs", None) or {}
    now = _now(request)
    nets = _loaded(request)
    poller = getattr(request.app.state, "realtime_poller", None)
    return NetworksOut(
        networks=[
            network_out(name, net, specs.get(name), default=i == 0, now=now, poller=poller)
            for i, (name, net) in enumerate(nets.items())
        ]
    )


Name = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")]


@router.post(
    "/{name}/refresh",
    operation_id="refresh_network",
    response_model=RefreshOut,
    response_model_by_alias=True,
)
def refresh(request: Request, name: Name, _: WriteKey) -> RefreshOut:
    """Re-read the network's GBFS status now (every system, expired or not). A system
    whose feed fails keeps its last status; plans in progress keep what they hold."""
    from maasmix.api.gbfs_refresh import refreshed_system

    nets = _loaded(request)
    if name not in nets:
        raise HTTPException(404, f"no network named {name!r}; loaded: {', '.join(nets) or 'none'}")
    net = nets[name]
    done: list[str] = []
    failed: dict[str, str] = {}
    for system in list(net.rentals):
        if system.loader is None:
            continue
        try:
            fresh = refreshed_system(system)
        except Exception as exc:  # a feed may fail in any way: keep the last status
            failed[system.system_id] = f"{type(exc).__name__}: {str(exc)[:200]}"
            continue
        net.rentals = [fresh if r is system else r for r in net.rentals]
        done.append(system.system_id)
    publish = getattr(request.app.state, "gbfs_publish", None)
    if publish is not None and done:
        publish(name, net)  # several workers: the others read what this one re-read
    specs: dict[str, NetworkSpec] = getattr(request.app.state, "network_specs", None) or {}
    return RefreshOut(
        name=name, refreshed=done, failed=failed, gbfs=_gbfs(net, specs.get(name), _now(request))
    )
