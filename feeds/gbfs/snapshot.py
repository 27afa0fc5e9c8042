"""`load_gbfs`: one normalised `GbfsSnapshot` of a shared-mobility system, GBFS 1.x to 3.0.

Sources: a ``gbfs.json`` URL or path (auto-discovery), or a folder of JSON files with or
without ``gbfs.json``. Read feeds: system_information (required), station_information
(required when station_status is published), station_status, vehicle_status
(``free_bike_status`` before 3.0), vehicle_types, system_pricing_plans, geofencing_zones.
Other feeds (system_regions, system_hours, alerts, ...) are not read.

Version differences are mapped to one set of names (see `feeds._gbfs_tables`). Language:
GBFS <= 2.x publishes one file set per language (``gbfs.json`` ``data.<language>``);
3.0 publishes one file set whose strings are lists of ``{text, language}``. In both cases
``language`` picks the language; default: ``"en"`` when offered, else the first (<= 2.x
gbfs.json), or the system's first language (3.0). A language that is not published raises
FeedMissingError listing the available ones.

Repairs of real-feed quirks, each announced by a FeedWarning: a station in station_status
but not in station_information is dropped; stations and free-floating vehicles with
missing/null coordinates are dropped (the count is given); numbers written as strings are
read as numbers; amounts finer than the currency's minor unit are rounded half-even; a
gbfs.json that does not list system_information (gbfs-oslo-tier) gets the file beside it.
A geofencing zone whose geometry is null is dropped; timestamps written with a space
instead of ``T`` (``"2025-05-21 07:48:04.229881+00:00"``) are read as RFC 3339; a folder
holding only ``station_information.json`` gives a system named after the folder whose
stations have no live status, in UTC until it is added to a network, which gives it
the network's timezone (``SystemInfo.timezone_assumed``). Lyft feeds
(gbfs-bay-area-baywheels) also carry ``fusion_lat``/``fusion_lon``: they are ignored;
``lat``/``lon`` are the specification's coordinates (and lie within 500 m of a dock for
73 % of the bikes, against 44 % for the fusion pair).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from maasmix.errors import FeedFormatError, FeedIntegrityError, FeedMissingError, FeedWarning
from maasmix.feeds._http import is_url
from maasmix.feeds.cache import DiskCache, content_hash, make_key
from maasmix.feeds.gbfs._source import (
    Discovered,
    RawFile,
    discover,
    gbfs_folder,
    major,
    read_file,
)
from maasmix.feeds.gbfs._tables import geofencing, pricing, stations, vehicle_types, vehicles
from maasmix.feeds.gbfs._values import localized
from maasmix.feeds.gtfs._read import usable_path

__all__ = ["GbfsFile", "GbfsSnapshot", "SystemInfo", "load_gbfs", "load_gbfs_cached"]


@dataclass(frozen=True)
class SystemInfo:
    """system_information, in the chosen language.

    Attributes
    ----------
    system_id, name : str
    operator, url : str | None
    timezone : str
        IANA zone, e.g. ``"Europe/Oslo"``.
    language : str
        The language of the strings in the snapshot (BCP 47, e.g. ``"nb"``).
    languages : tuple[str, ...]
        All languages the system publishes.
    last_updated : datetime
        The newest ``last_updated`` of the files read, in the system's timezone.
    ttl_s : int
        The smallest ``ttl`` of the files read, seconds (0: refresh on every use).
    timezone_assumed : bool
        The system publishes no timezone (a folder of station_information alone): UTC
        until it is added to a network, which gives it its own (`GbfsSnapshot.in_timezone`).
    """

    system_id: str
    name: str
    operator: str | None
    timezone: str
    language: str
    url: str | None
    last_updated: dt.datetime
    ttl_s: int
    languages: tuple[str, ...] = ()
    timezone_assumed: bool = False


@dataclass(frozen=True)
class GbfsFile:
    """One file read: feed ``name`` as published, ``source`` path/URL, its header."""

    name: str
    source: str
    version: str | None
    last_updated: dt.datetime
    ttl_s: int


@dataclass(frozen=True)
class GbfsSnapshot:
    """The state of one GBFS system at one moment, whatever the GBFS version.

    Attributes
    ----------
    version : str
        GBFS version announced by gbfs.json (else by system_information); ``"1.0"``
        when there is no ``version`` field (it was added in 1.1).
    system : SystemInfo
    stations : DataFrame
        One row per station with coordinates, in station_information order:
        ``station_id``, ``name`` (str), ``lat``, ``lon`` (float64, WGS84), ``capacity``
        (Int64 docks, <NA> when unpublished), ``num_vehicles_available``,
        ``num_docks_available`` (Int64; <NA> when the station has no status),
        ``is_installed``, ``is_renting``, ``is_returning`` (boolean, <NA> likewise),
        ``last_reported`` (datetime64[ns, UTC], NaT likewise), ``vehicles_by_type``
        (dict vehicle_type_id -> vehicles available, from ``vehicle_types_available``;
        ``{}`` when the feed gives no breakdown).
    vehicles : DataFrame
        One row per vehicle of vehicle_status/free_bike_status (not in an active
        rental): ``vehicle_id`` (str), ``lat``, ``lon`` (float64; NaN for a docked
        vehicle published without coordinates), ``station_id`` (str, None when
        free-floating), ``vehicle_type_id`` (str, None when unpublished),
        ``current_range_m`` (float64 metres, NaN when unpublished), ``is_reserved``,
        ``is_disabled`` (boolean), ``pricing_plan_id`` (str or None; overrides the
        type's default plan), ``last_reported`` (datetime64[ns, UTC], NaT when absent).
    vehicle_types : DataFrame
        ``vehicle_type_id``, ``form_factor`` (``bicycle``, ``cargo_bicycle``, ``car``,
        ``moped``, ``scooter_standing``, ``scooter_seated``, ``scooter`` (<= 2.2),
        ``other``), ``propulsion_type`` (``human``, ``electric_assist``, ``electric``,
        ``combustion``, ...), ``max_range_m`` (float64 metres, NaN for human-powered),
        ``name`` (str or None), ``pricing_plan_ids`` (tuple of str),
        ``default_pricing_plan_id`` (str or None), ``max_permitted_speed_kph``
        (float64 km/h, NaN when unpublished). Without vehicle_types.json the
        specification says every vehicle is a human-powered bicycle.
    pricing_plans : DataFrame
        ``plan_id``, ``name`` (str), ``currency`` (ISO 4217), ``price_cents`` (int64:
        the base price in minor units of ``currency``), ``is_taxable`` (boolean),
        ``description`` (str), ``url`` (str or None).
    pricing_segments : DataFrame
        Rate segments of the plans, in file order: ``plan_id``, ``kind`` (``"per_min"``
        or ``"per_km"``), ``start`` (int64 minute/km from which the rate applies,
        inclusive), ``rate_cents`` (int64 minor units, may be negative: a discount),
        ``interval`` (int64 minutes/km after which the rate is charged again; 0: once),
        ``end`` (Int64 minute/km where the segment stops, exclusive; <NA>: until the
        trip ends). Trip cost = price + the sum of all segments.
    geofencing_zones : DataFrame
        One row per zone and rule, zones in file order (earlier zones take precedence
        where they overlap), rules in precedence order: ``zone_id`` (the feature's
        ``id``, else ``"zone-<index>"``), ``name`` (str or None), ``geometry`` (shapely
        Polygon/MultiPolygon, lon/lat), ``ride_start_allowed``, ``ride_end_allowed``
        (boolean; both are 2.x ``ride_allowed``), ``ride_through_allowed`` (boolean),
        ``maximum_speed_kph`` (float64, NaN: no limit), ``vehicle_type_ids`` (tuple;
        empty = all types), ``station_parking`` (boolean), ``rule_index`` (Int64 order
        within the zone), ``start``, ``end`` (datetime64[ns, UTC]; NaT: always active).
        A zone without rules has one row with <NA> rule fields: the global rules apply.
    geofencing_global_rules : DataFrame
        The rule columns above for areas outside every zone (3.0 ``global_rules``;
        for <= 2.x with geofencing: one rule allowing everything, the 2.x default).
        Empty when the system publishes no geofencing_zones.
    files : tuple[GbfsFile, ...]
        Every file read, gbfs.json first.
    """

    version: str
    system: SystemInfo
    stations: pd.DataFrame
    vehicles: pd.DataFrame
    vehicle_types: pd.DataFrame
    pricing_plans: pd.DataFrame
    pricing_segments: pd.DataFrame
    geofencing_zones: pd.DataFrame
    geofencing_global_rules: pd.DataFrame
    files: tuple[GbfsFile, ...]

    def in_timezone(self, timezone: str) -> GbfsSnapshot:
        """This snapshot with ``system.timezone`` set to ``timezone`` (IANA) and every
        ``last_updated`` shown in it (the same instants): how a system that publishes no
        timezone takes the timezone of the network it is added to."""
        zone = ZoneInfo(timezone)
        system = replace(
            self.system,
            timezone=timezone,
            last_updated=self.system.last_updated.astimezone(zone),
        )
        files = tuple(replace(f, last_updated=f.last_updated.astimezone(zone)) for f in self.files)
        return replace(self, system=system, files=files)

    @property
    def expires_at(self) -> dt.datetime:
        """``system.last_updated + system.ttl_s``: when the snapshot should be refreshed."""
        return self.system.last_updated + dt.timedelta(seconds=self.system.ttl_s)

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts: stations, docked/free-floating vehicles, types, plans, zones.

        Free-floating vehicles are counted by ``vehicle_type_id`` (``"unspecified"``
        when unpublished) and by form factor (``"bicycle"`` for vehicles without a type,
        as the specification assumes).
        """
        free = self.vehicles[self.vehicles["station_id"].isna()]
        type_ids = free["vehicle_type_id"].fillna("unspecified")
        form = free["vehicle_type_id"].map(
            dict(
                zip(
                    self.vehicle_types["vehicle_type_id"],
                    self.vehicle_types["form_factor"],
                    strict=True,
                )
            )
        )
        form = form.where(free["vehicle_type_id"].notna(), "bicycle").fillna("unknown")
        docked = self.stations["num_vehicles_available"].sum(skipna=True)
        return {
            "version": self.version,
            "system": {
                "system_id": self.system.system_id,
                "name": self.system.name,
                "operator": self.system.operator,
                "timezone": self.system.timezone,
                "language": self.system.language,
            },
            "last_updated": self.system.last_updated.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "stations": len(self.stations),
            "docked_vehicles": int(docked),
            "vehicles": len(self.vehicles),
            "free_floating_vehicles": len(free),
            "free_floating_by_vehicle_type": {
                str(k): int(v) for k, v in type_ids.value_counts().sort_index().items()
            },
            "free_floating_by_form_factor": {
                str(k): int(v) for k, v in form.value_counts().sort_index().items()
            },
            "vehicle_types": len(self.vehicle_types),
            "pricing_plans": len(self.pricing_plans),
            "pricing_segments": len(self.pricing_segments),
            "geofencing_zones": int(self.geofencing_zones["zone_id"].nunique()),
            "files_read": [f.name for f in self.files],
        }


def load_gbfs(source: str | Path, *, language: str | None = None) -> GbfsSnapshot:
    """Load one GBFS system (any version from 1.0 to 3.0) into a `GbfsSnapshot`.

    Parameters
    ----------
    source : str or Path
        A ``gbfs.json`` URL or path, or a folder of GBFS JSON files.
    language : str, optional
        BCP 47 language for the strings; see the module docstring for the default.

    Raises
    ------
    FeedMissingError
        Unreachable source, missing system_information (or station_information while
        station_status exists), a required field absent, a language not published.
    FeedFormatError
        Invalid JSON (``row`` = line), a value of the wrong type. For values inside a
        JSON array, ``row`` is the item's index in that array and ``field`` its JSON
        path, e.g. ``data.stations[12].lat``.
    FeedIntegrityError
        Duplicate station/vehicle/type/plan IDs, references to unknown IDs.
    FeedVersionError
        A file whose ``version`` (MAJOR) contradicts the dataset's, or a field name of
        another version.
    """
    stations_only = _station_information_only(source)
    found = stations_only or discover(source, language)
    files = found.files
    info = files["system_information"]
    if "station_status" in files and "station_information" not in files:
        raise FeedMissingError(
            "station_status is published but station_information is missing",
            file=files["station_status"].source,
        )
    languages, chosen = _languages(found, info, language)
    preference = (chosen, *languages)
    station_table = stations(
        files.get("station_information"), files.get("station_status"), found.version, preference
    )
    vehicle_table = vehicles(files.get("vehicle_status"), found.version)
    type_table = vehicle_types(files.get("vehicle_types"), preference)
    plans, segments = pricing(files.get("system_pricing_plans"), preference)
    zones, global_rules = geofencing(files.get("geofencing_zones"), found.version, preference)
    _check_references(files, vehicle_table, type_table, plans)

    read = ([found.discovery] if found.discovery is not None else []) + list(files.values())
    system = _system_info(info, read, preference, chosen, languages)
    if stations_only is not None:
        system = replace(system, timezone_assumed=True)
    zone = ZoneInfo(system.timezone)
    return GbfsSnapshot(
        version=found.version,
        system=system,
        stations=station_table,
        vehicles=vehicle_table,
        vehicle_types=type_table,
        pricing_plans=plans,
        pricing_segments=segments,
        geofencing_zones=zones,
        geofencing_global_rules=global_rules,
        files=tuple(
            GbfsFile(
                f.name,
                f.source,
                f.version,
                f.last_updated.tz_convert(zone).to_pydatetime(),
                f.ttl_s,
            )
            for f in read
        ),
    )


GBFS_CACHE_VERSION = 1
"""Format version of cached snapshots (part of the cache key)."""


def load_gbfs_cached(
    source: str | Path,
    *,
    language: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> GbfsSnapshot:
    """`load_gbfs`, cached on disk for a local folder or ``gbfs.json`` by file contents.

    The key is the sha256 of every file in the system's folder, the language and
    `GBFS_CACHE_VERSION`; a changed file (a new live snapshot) gives a new key. URLs are
    live data and are always loaded afresh.
    """
    if is_url(source):
        return load_gbfs(source, language=language)
    path = usable_path(source)
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        return load_gbfs(source, language=language)
    try:
        contents = content_hash(folder)
    except OSError:  # a file of the folder cannot be read: the loader names it
        return load_gbfs(source, language=language)
    key = make_key(
        contents,
        "gbfs-snapshot",
        {"entry": path.name if path.is_file() else "", "language": language},
        GBFS_CACHE_VERSION,
    )
    result = DiskCache(cache_dir).get_or_build(key, lambda: load_gbfs(source, language=language))
    return result if isinstance(result, GbfsSnapshot) else load_gbfs(source, language=language)


def _station_information_only(source: str | Path) -> Discovered | None:
    """A folder holding station_information.json but no system_information.json nor
    gbfs.json (a real quirk of station registries): its stations, without live status,
    under a system named after the folder, in UTC (a FeedWarning says so)."""
    if is_url(source):
        return None
    folder = usable_path(source)
    if gbfs_folder(folder) != "stations-only":
        return None
    info = read_file(str(folder / "station_information.json"), "station_information")
    warnings.warn(
        f"{folder}: only station_information.json (no system_information.json): stations "
        f"without live status, system id {folder.name!r}, in the time zone of the network "
        "it is added to (UTC alone)",
        FeedWarning,
        stacklevel=3,
    )
    system = RawFile(
        "system_information",
        str(folder / "system_information.json"),
        info.version,
        info.last_updated,
        info.ttl_s,
        {"system_id": folder.name, "name": folder.name, "timezone": "Etc/UTC", "language": "und"},
    )
    files = {"system_information": system, "station_information": info}
    return Discovered(info.version or "1.0", files, None, (), None)


def _languages(
    found: Discovered, info: RawFile, language: str | None
) -> tuple[tuple[str, ...], str]:
    """(languages the system publishes, the language chosen)."""
    data = info.data
    if major(info.version or found.version) >= 3:
        offered = data.get("languages")
        if not (isinstance(offered, list) and offered and all(isinstance(x, str) for x in offered)):
            raise FeedMissingError(
                "GBFS 3.0 system_information needs a non-empty 'languages' array",
                file=info.source,
                field="data.languages",
            )
        if language is not None and language not in offered:
            raise FeedMissingError(
                f"language {language!r} is not published; available: {', '.join(offered)}",
                file=info.source,
                field="data.languages",
            )
        return tuple(offered), language or offered[0]
    own = data.get("language")
    if found.feed_language is not None:
        return found.feed_languages, found.feed_language
    offered_one: tuple[str, ...] = (own,) if isinstance(own, str) else ()
    if language is not None and offered_one and language not in offered_one:
        raise FeedMissingError(
            f"language {language!r} is not published; available: {', '.join(offered_one)}",
            file=info.source,
            field="data.language",
        )
    return offered_one, language or (offered_one[0] if offered_one else "und")


def _system_info(
    info: RawFile,
    read: Sequence[RawFile],
    preference: Sequence[str],
    chosen: str,
    languages: tuple[str, ...],
) -> SystemInfo:
    data, src = info.data, info.source
    for key in ("system_id", "name", "timezone"):
        if data.get(key) in (None, "", []):
            raise FeedMissingError(f"required {key} is missing", file=src, field=f"data.{key}")
    timezone = data["timezone"]
    try:
        zone = ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise FeedFormatError(
            f"unknown IANA timezone {timezone!r}", file=src, field="data.timezone"
        ) from None
    newest = max(f.last_updated for f in read)
    return SystemInfo(
        system_id=str(data["system_id"]),
        name=localized(data["name"], preference, file=src, field="data.name") or "",
        operator=localized(data.get("operator"), preference, file=src, field="data.operator"),
        timezone=str(timezone),
        language=chosen,
        url=data.get("url") if isinstance(data.get("url"), str) else None,
        last_updated=newest.tz_convert(zone).to_pydatetime(),
        ttl_s=min(f.ttl_s for f in read),
        languages=languages,
    )


def _check_references(
    files: dict[str, RawFile],
    vehicle_table: pd.DataFrame,
    type_table: pd.DataFrame,
    plans: pd.DataFrame,
) -> None:
    """Vehicle types and pricing plans referred to must exist (when their file is read)."""
    checks: list[tuple[str, pd.Series, set[str], str]] = []
    if "vehicle_types" in files:
        checks.append(
            (
                "vehicle_status",
                vehicle_table["vehicle_type_id"],
                set(type_table["vehicle_type_id"]),
                "vehicle_type_id",
            )
        )
    if "system_pricing_plans" in files:
        known = set(plans["plan_id"])
        checks.append(
            ("vehicle_status", vehicle_table["pricing_plan_id"], known, "pricing_plan_id")
        )
        checks.append(
            (
                "vehicle_types",
                type_table["default_pricing_plan_id"],
                known,
                "default_pricing_plan_id",
            )
        )
        listed = type_table["pricing_plan_ids"].map(
            lambda ids: next((i for i in ids if i not in known), None)
        )
        checks.append(("vehicle_types", listed, known, "pricing_plan_ids"))
    for feed, refs, known, field in checks:
        unknown = refs.notna() & ~refs.isin(known)
        if unknown.any():
            i = int(unknown.to_numpy().nonzero()[0][0])
            raw = files[feed]
            array = (
                "data.vehicle_types"
                if feed == "vehicle_types"
                else ("data.vehicles" if "vehicles" in raw.data else "data.bikes")
            )
            row = _source_index(raw, array, i, vehicle_table, feed)
            raise FeedIntegrityError(
                f"unknown {field.removesuffix('s').removeprefix('default_')} {refs.iloc[i]!r}",
                file=raw.source,
                row=row,
                field=f"{array}[{row}].{field}",
            )


def _source_index(raw: RawFile, array: str, i: int, vehicle_table: pd.DataFrame, feed: str) -> int:
    """Index in the JSON array of row ``i`` (vehicle rows may have been dropped)."""
    if feed != "vehicle_status":
        return i
    wanted = vehicle_table["vehicle_id"].iloc[i]
    key = array.removeprefix("data.")
    id_key = "vehicle_id" if key == "vehicles" else "bike_id"
    return next((j for j, r in enumerate(raw.data[key]) if str(r.get(id_key)) == wanted), i)
