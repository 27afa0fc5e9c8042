"""GBFS files (any version) -> the normalised tables of `feeds.gbfs.GbfsSnapshot`.

One function per table. Version differences handled here: ``bikes``/``bike_id`` (<= 2.x)
vs ``vehicles``/``vehicle_id`` (3.0), ``num_bikes_available`` vs ``num_vehicles_available``,
plain strings vs Array<Localized String>, POSIX vs RFC 3339 timestamps, geofencing
``ride_allowed`` (2.x: start *and* end) vs ``ride_start_allowed``/``ride_end_allowed`` and
``vehicle_type_id`` vs ``vehicle_type_ids``, 0/1 booleans of 1.x, string prices of 2.x.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely.errors
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from maasmix.errors import (
    FeedFormatError,
    FeedIntegrityError,
    FeedMissingError,
    FeedVersionError,
    FeedWarning,
)
from maasmix.feeds.gbfs._source import RawFile, major
from maasmix.feeds.gbfs._values import (
    Column,
    bool_column,
    float_column,
    id_column,
    id_list,
    int_column,
    localized,
    timestamp_column,
    to_minor_units,
)
from maasmix.money import is_currency

STATION_COLUMNS = [
    "station_id",
    "name",
    "lat",
    "lon",
    "capacity",
    "num_vehicles_available",
    "num_docks_available",
    "is_installed",
    "is_renting",
    "is_returning",
    "last_reported",
    "vehicles_by_type",
]
VEHICLE_COLUMNS = [
    "vehicle_id",
    "lat",
    "lon",
    "station_id",
    "vehicle_type_id",
    "current_range_m",
    "is_reserved",
    "is_disabled",
    "pricing_plan_id",
    "last_reported",
]
VEHICLE_TYPE_COLUMNS = [
    "vehicle_type_id",
    "form_factor",
    "propulsion_type",
    "max_range_m",
    "name",
    "pricing_plan_ids",
    "default_pricing_plan_id",
    "max_permitted_speed_kph",
]
PLAN_COLUMNS = ["plan_id", "name", "currency", "price_cents", "is_taxable", "description", "url"]
SEGMENT_COLUMNS = ["plan_id", "kind", "start", "rate_cents", "interval", "end"]
RULE_COLUMNS = [
    "ride_start_allowed",
    "ride_end_allowed",
    "ride_through_allowed",
    "maximum_speed_kph",
    "vehicle_type_ids",
    "station_parking",
]
ZONE_COLUMNS = ["zone_id", "name", "geometry", *RULE_COLUMNS, "rule_index", "start", "end"]


def items(raw: RawFile, key: str) -> tuple[list[dict[str, Any]], str]:
    """``data.<key>`` of ``raw`` as a list of objects, and its JSON path."""
    array = f"data.{key}"
    values = raw.data.get(key)
    if not isinstance(values, list):
        raise FeedFormatError("expected an array", file=raw.source, field=array)
    for i, value in enumerate(values):
        if not isinstance(value, dict):
            raise FeedFormatError(
                f"expected an object, got {value!r}", file=raw.source, row=i, field=f"{array}[{i}]"
            )
    return values, array


def _field(records: Sequence[dict[str, Any]], key: str) -> list[Any]:
    return [r.get(key) for r in records]


def _check_unique(ids: Sequence[str | None], where: Column) -> None:
    series = pd.Series(ids, dtype=object)
    dup = series.duplicated() & series.notna()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((series == series.iloc[i]).to_numpy())[0])
        raise FeedIntegrityError(
            f"duplicate ID {ids[i]!r} (first at {where.path(first)})",
            file=where.file,
            row=i,
            field=where.path(i),
        )


def _versioned_key(raw: RawFile, new: str, old: str, version: str) -> str:
    """``new`` (3.0) or ``old`` (<= 2.x) key; the other version's key is a FeedVersionError."""
    wanted, other = (new, old) if major(raw.version or version) >= 3 else (old, new)
    if wanted not in raw.data and other in raw.data:
        raise FeedVersionError(
            f"'{other}' is not a GBFS {raw.version or version} name (expected '{wanted}')",
            file=raw.source,
            field=f"data.{other}",
        )
    return wanted


def _names(
    records: Sequence[dict[str, Any]], key: str, languages: Sequence[str], where: Column
) -> list[str | None]:
    return [
        localized(r.get(key), languages, file=where.file, field=where.path(i), row=i)
        for i, r in enumerate(records)
    ]


def _drop_without_coordinates(
    frame: pd.DataFrame, keep: np.ndarray, file: str, what: str
) -> pd.DataFrame:
    dropped = int((~keep).sum())
    if dropped:
        ids = ", ".join(map(str, frame.loc[~keep].iloc[:5, 0]))
        warnings.warn(
            f"{file}: {dropped} {what} without coordinates (lat/lon missing or null) "
            f"dropped: {ids}{', ...' if dropped > 5 else ''}",
            FeedWarning,
            stacklevel=4,
        )
    return frame.loc[keep].reset_index(drop=True)


def stations(
    info: RawFile | None, status: RawFile | None, version: str, languages: Sequence[str]
) -> pd.DataFrame:
    """station_information joined with station_status (see `GbfsSnapshot.stations`)."""
    if info is None:
        return _empty_stations()
    records, array = items(info, "stations")
    ids = id_column(_field(records, "station_id"), Column(info.source, array, "station_id"))
    _check_unique(ids, Column(info.source, array, "station_id"))
    frame = pd.DataFrame(
        {
            "station_id": pd.Series(ids, dtype=object),
            "name": pd.Series(
                _names(records, "name", languages, Column(info.source, array, "name")), dtype=object
            ),
            "lat": float_column(
                _field(records, "lat"), Column(info.source, array, "lat"), lo=-90, hi=90
            ),
            "lon": float_column(
                _field(records, "lon"), Column(info.source, array, "lon"), lo=-180, hi=180
            ),
            "capacity": int_column(
                _field(records, "capacity"), Column(info.source, array, "capacity")
            ),
        }
    )
    keep = ~(np.isnan(frame["lat"].to_numpy()) | np.isnan(frame["lon"].to_numpy()))
    frame = _drop_without_coordinates(frame, keep, info.source, "station(s)")
    status_frame = _station_status(status, version) if status is not None else None
    if status_frame is None:
        status_frame = _empty_stations().drop(columns=["name", "lat", "lon", "capacity"])
    else:
        orphans = ~status_frame["station_id"].isin(frame["station_id"])
        if orphans.any():
            listed = ", ".join(status_frame.loc[orphans, "station_id"].head(5))
            warnings.warn(
                f"{status.source if status else ''}: {int(orphans.sum())} station(s) in "
                f"station_status are not in station_information (or have no coordinates) "
                f"and were dropped: {listed}{', ...' if orphans.sum() > 5 else ''}",
                FeedWarning,
                stacklevel=3,
            )
            status_frame = status_frame.loc[~orphans]
        missing = ~frame["station_id"].isin(status_frame["station_id"])
        if missing.any():
            warnings.warn(
                f"{status.source if status else ''}: {int(missing.sum())} station(s) of "
                "station_information have no station_status; their availability is <NA>",
                FeedWarning,
                stacklevel=3,
            )
    merged = frame.merge(status_frame, on="station_id", how="left", validate="one_to_one")
    merged["vehicles_by_type"] = [
        v if isinstance(v, dict) else {} for v in merged["vehicles_by_type"].tolist()
    ]
    return merged[STATION_COLUMNS]


def _station_status(raw: RawFile, version: str) -> pd.DataFrame:
    records, array = items(raw, "stations")
    src = raw.source
    ids = id_column(_field(records, "station_id"), Column(src, array, "station_id"))
    _check_unique(ids, Column(src, array, "station_id"))
    count_key = (
        "num_vehicles_available" if major(raw.version or version) >= 3 else "num_bikes_available"
    )
    by_type: list[dict[str, int]] = []
    where = Column(src, array, "vehicle_types_available")
    for i, record in enumerate(records):
        entries = record.get("vehicle_types_available")
        counts: dict[str, int] = {}
        if entries is not None:
            if not isinstance(entries, list):
                raise FeedFormatError("expected an array", file=src, row=i, field=where.path(i))
            for j, entry in enumerate(entries):
                ok = isinstance(entry, dict) and isinstance(entry.get("vehicle_type_id"), str)
                count = entry.get("count") if isinstance(entry, dict) else None
                if not ok or isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise FeedFormatError(
                        f"expected {{vehicle_type_id, count}}, got {entry!r}",
                        file=src,
                        row=i,
                        field=f"{where.path(i)}[{j}]",
                    )
                counts[entry["vehicle_type_id"]] = counts.get(entry["vehicle_type_id"], 0) + count
        by_type.append(counts)
    return pd.DataFrame(
        {
            "station_id": pd.Series(ids, dtype=object),
            "num_vehicles_available": int_column(
                _field(records, count_key), Column(src, array, count_key)
            ),
            "num_docks_available": int_column(
                _field(records, "num_docks_available"), Column(src, array, "num_docks_available")
            ),
            "is_installed": bool_column(
                _field(records, "is_installed"), Column(src, array, "is_installed")
            ),
            "is_renting": bool_column(
                _field(records, "is_renting"), Column(src, array, "is_renting")
            ),
            "is_returning": bool_column(
                _field(records, "is_returning"), Column(src, array, "is_returning")
            ),
            "last_reported": timestamp_column(
                _field(records, "last_reported"), Column(src, array, "last_reported")
            ),
            "vehicles_by_type": pd.Series(by_type, dtype=object),
        }
    )


def _empty_stations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station_id": pd.Series([], dtype=object),
            "name": pd.Series([], dtype=object),
            "lat": pd.Series([], dtype=np.float64),
            "lon": pd.Series([], dtype=np.float64),
            "capacity": pd.Series([], dtype="Int64"),
            "num_vehicles_available": pd.Series([], dtype="Int64"),
            "num_docks_available": pd.Series([], dtype="Int64"),
            "is_installed": pd.Series([], dtype="boolean"),
            "is_renting": pd.Series([], dtype="boolean"),
            "is_returning": pd.Series([], dtype="boolean"),
            "last_reported": pd.Series([], dtype="datetime64[ns, UTC]"),
            "vehicles_by_type": pd.Series([], dtype=object),
        }
    )


def vehicles(raw: RawFile | None, version: str) -> pd.DataFrame:
    """vehicle_status / free_bike_status (see `GbfsSnapshot.vehicles`)."""
    if raw is None:
        return _vehicle_frame([], "", "data.vehicles", "vehicle_id")
    key = _versioned_key(raw, "vehicles", "bikes", version)
    id_key = "vehicle_id" if key == "vehicles" else "bike_id"
    records, array = items(raw, key)
    frame = _vehicle_frame(records, raw.source, array, id_key)
    free = frame["station_id"].isna().to_numpy()
    no_xy = np.isnan(frame["lat"].to_numpy()) | np.isnan(frame["lon"].to_numpy())
    return _drop_without_coordinates(frame, ~(free & no_xy), raw.source, "free-floating vehicle(s)")


def _vehicle_frame(
    records: Sequence[dict[str, Any]], src: str, array: str, id_key: str
) -> pd.DataFrame:
    ids = id_column(_field(records, id_key), Column(src, array, id_key))
    _check_unique(ids, Column(src, array, id_key))

    def ref(key: str) -> pd.Series:
        return pd.Series(
            id_column(_field(records, key), Column(src, array, key), required=False), dtype=object
        )

    return pd.DataFrame(
        {
            "vehicle_id": pd.Series(ids, dtype=object),
            "lat": float_column(_field(records, "lat"), Column(src, array, "lat"), lo=-90, hi=90),
            "lon": float_column(_field(records, "lon"), Column(src, array, "lon"), lo=-180, hi=180),
            "station_id": ref("station_id"),
            "vehicle_type_id": ref("vehicle_type_id"),
            "current_range_m": float_column(
                _field(records, "current_range_meters"),
                Column(src, array, "current_range_meters"),
                lo=0,
            ),
            "is_reserved": bool_column(
                _field(records, "is_reserved"), Column(src, array, "is_reserved")
            ),
            "is_disabled": bool_column(
                _field(records, "is_disabled"), Column(src, array, "is_disabled")
            ),
            "pricing_plan_id": ref("pricing_plan_id"),
            "last_reported": timestamp_column(
                _field(records, "last_reported"), Column(src, array, "last_reported")
            ),
        },
        columns=VEHICLE_COLUMNS,
    )


def vehicle_types(raw: RawFile | None, languages: Sequence[str]) -> pd.DataFrame:
    """vehicle_types.json (see `GbfsSnapshot.vehicle_types`)."""
    records, array = items(raw, "vehicle_types") if raw is not None else ([], "")
    src = raw.source if raw is not None else ""
    ids = id_column(_field(records, "vehicle_type_id"), Column(src, array, "vehicle_type_id"))
    _check_unique(ids, Column(src, array, "vehicle_type_id"))
    propulsion: list[str | None] = []
    for i, record in enumerate(records):
        value = record.get("propulsion_type")
        if value is None and isinstance(record.get("propulsion_types"), list):
            # v2.1-RC drafts: an array; the motorised mode describes the vehicle.
            modes = [m for m in record["propulsion_types"] if isinstance(m, str)]
            value = next((m for m in modes if m != "human"), modes[0] if modes else None)
        if value is not None and not isinstance(value, str):
            raise FeedFormatError(
                f"expected a string, got {value!r}",
                file=src,
                row=i,
                field=f"{array}[{i}].propulsion_type",
            )
        propulsion.append(value)
    plan_where = Column(src, array, "pricing_plan_ids")
    return pd.DataFrame(
        {
            "vehicle_type_id": pd.Series(ids, dtype=object),
            "form_factor": pd.Series(_field(records, "form_factor"), dtype=object),
            "propulsion_type": pd.Series(propulsion, dtype=object),
            "max_range_m": float_column(
                _field(records, "max_range_meters"), Column(src, array, "max_range_meters"), lo=0
            ),
            "name": pd.Series(
                _names(records, "name", languages, Column(src, array, "name")), dtype=object
            ),
            "pricing_plan_ids": pd.Series(
                [id_list(r.get("pricing_plan_ids"), plan_where, i) for i, r in enumerate(records)],
                dtype=object,
            ),
            "default_pricing_plan_id": pd.Series(
                id_column(
                    _field(records, "default_pricing_plan_id"),
                    Column(src, array, "default_pricing_plan_id"),
                    required=False,
                ),
                dtype=object,
            ),
            "max_permitted_speed_kph": float_column(
                _field(records, "max_permitted_speed"),
                Column(src, array, "max_permitted_speed"),
                lo=0,
            ),
        },
        columns=VEHICLE_TYPE_COLUMNS,
    )


def pricing(raw: RawFile | None, languages: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """system_pricing_plans.json -> (plans, per-minute/per-km segments), money in minor units."""
    records, array = items(raw, "plans") if raw is not None else ([], "")
    src = raw.source if raw is not None else ""
    ids = id_column(_field(records, "plan_id"), Column(src, array, "plan_id"))
    _check_unique(ids, Column(src, array, "plan_id"))
    currencies: list[str] = []
    prices: list[int] = []
    segments: list[dict[str, Any]] = []
    rounded: list[str] = []
    for i, record in enumerate(records):
        currency = record.get("currency")
        if not (isinstance(currency, str) and is_currency(currency.upper())):
            raise FeedFormatError(
                f"expected an ISO 4217 currency code, got {currency!r}",
                file=src,
                row=i,
                field=f"{array}[{i}].currency",
            )
        currency = currency.upper()
        currencies.append(currency)
        if record.get("price") is None:
            raise FeedFormatError(
                "required price is missing", file=src, row=i, field=f"{array}[{i}].price"
            )
        prices.append(
            to_minor_units(
                record["price"],
                currency,
                file=src,
                field=f"{array}[{i}].price",
                row=i,
                rounded=rounded,
            )
        )
        for kind, key in (("per_min", "per_min_pricing"), ("per_km", "per_km_pricing")):
            segments.extend(
                _segments(
                    record.get(key),
                    ids[i] or "",
                    kind,
                    currency,
                    src,
                    f"{array}[{i}].{key}",
                    i,
                    rounded,
                )
            )
    if rounded:
        warnings.warn(
            f"{src}: {len(rounded)} amount(s) finer than the currency's minor unit rounded "
            f"half-even: {', '.join(rounded[:3])}{', ...' if len(rounded) > 3 else ''}",
            FeedWarning,
            stacklevel=3,
        )
    plans = pd.DataFrame(
        {
            "plan_id": pd.Series(ids, dtype=object),
            "name": pd.Series(
                _names(records, "name", languages, Column(src, array, "name")), dtype=object
            ),
            "currency": pd.Series(currencies, dtype=object),
            "price_cents": pd.Series(prices, dtype=np.int64),
            "is_taxable": bool_column(
                _field(records, "is_taxable"), Column(src, array, "is_taxable")
            ),
            "description": pd.Series(
                _names(records, "description", languages, Column(src, array, "description")),
                dtype=object,
            ),
            "url": pd.Series(_field(records, "url"), dtype=object),
        },
        columns=PLAN_COLUMNS,
    )
    seg = pd.DataFrame(segments, columns=SEGMENT_COLUMNS)
    seg = seg.astype(
        {
            "plan_id": object,
            "kind": object,
            "start": np.int64,
            "rate_cents": np.int64,
            "interval": np.int64,
            "end": "Int64",
        }
    )
    return plans, seg


def _segments(
    value: Any,
    plan_id: str,
    kind: str,
    currency: str,
    src: str,
    path: str,
    row: int,
    rounded: list[str],
) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FeedFormatError("expected an array", file=src, row=row, field=path)
    out = []
    for j, seg in enumerate(value):
        where = f"{path}[{j}]"
        if not isinstance(seg, dict):
            raise FeedFormatError(
                f"expected an object, got {seg!r}", file=src, row=row, field=where
            )
        numbers: dict[str, Any] = {}
        for key in ("start", "interval", "end"):
            number = seg.get(key)
            if number is None and key != "end":
                raise FeedFormatError(
                    f"required {key} is missing", file=src, row=row, field=f"{where}.{key}"
                )
            if number is not None and (
                isinstance(number, bool)
                or not isinstance(number, int | float)
                or number < 0
                or not float(number).is_integer()
            ):
                raise FeedFormatError(
                    f"expected a non-negative integer, got {number!r}",
                    file=src,
                    row=row,
                    field=f"{where}.{key}",
                )
            numbers[key] = None if number is None else int(number)
        if seg.get("rate") is None:
            raise FeedFormatError(
                "required rate is missing", file=src, row=row, field=f"{where}.rate"
            )
        rate = to_minor_units(
            seg["rate"], currency, file=src, field=f"{where}.rate", row=row, rounded=rounded
        )
        out.append({"plan_id": plan_id, "kind": kind, "rate_cents": rate, **numbers})
    return out


def geofencing(
    raw: RawFile | None, version: str, languages: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """geofencing_zones.json -> (one row per zone and rule, global rules).

    v2.x has no ``global_rules``: its default ("no restrictions apply", spec 2.3) is
    returned as one rule allowing everything for all vehicle types.
    """
    if raw is None:
        return _zone_frame([]), _rule_frame([])
    src = raw.source
    collection = raw.data.get("geofencing_zones")
    if not isinstance(collection, dict) or not isinstance(collection.get("features"), list):
        raise FeedFormatError(
            "expected a GeoJSON FeatureCollection", file=src, field="data.geofencing_zones"
        )
    v3 = major(raw.version or version) >= 3
    array = "data.geofencing_zones.features"
    rows: list[dict[str, Any]] = []
    null_geometry: list[str] = []
    for i, feature in enumerate(collection["features"]):
        path = f"{array}[{i}]"
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise FeedFormatError(
                "expected a GeoJSON Feature with properties", file=src, row=i, field=path
            )
        if feature.get("geometry") is None:
            null_geometry.append(f"{path}.geometry")
            continue
        props = feature["properties"]
        geometry = _geometry(feature.get("geometry"), src, i, f"{path}.geometry")
        stamps = timestamp_column(
            [props.get("start"), props.get("end")],
            Column(src, path, "properties"),
            paths=[f"{path}.properties.start", f"{path}.properties.end"],
            rows=[i, i],
        )
        zone = {
            "zone_id": str(feature["id"]) if feature.get("id") is not None else f"zone-{i}",
            "name": localized(
                props.get("name"), languages, file=src, field=f"{path}.properties.name", row=i
            ),
            "geometry": geometry,
            "start": stamps.iloc[0],
            "end": stamps.iloc[1],
        }
        rules = props.get("rules")
        if rules is None or rules == []:
            rows.append(
                {**zone, **dict.fromkeys(RULE_COLUMNS), "vehicle_type_ids": (), "rule_index": None}
            )
            continue
        parsed = _rules(rules, v3, src, i, f"{path}.properties.rules")
        rows.extend({**zone, **rule, "rule_index": k} for k, rule in enumerate(parsed))
    if null_geometry:
        warnings.warn(
            f"{src}: {len(null_geometry)} geofencing zone(s) with a null geometry dropped "
            f"(they bound no area): {', '.join(null_geometry[:3])}"
            f"{', ...' if len(null_geometry) > 3 else ''}",
            FeedWarning,
            stacklevel=3,
        )
    if v3:
        if "global_rules" not in raw.data:
            raise FeedMissingError(
                "a GBFS 3.0 geofencing_zones file must have data.global_rules",
                file=src,
                field="data.global_rules",
            )
        global_rules = _rules(raw.data["global_rules"], True, src, None, "data.global_rules")
    else:
        global_rules = [
            {
                "ride_start_allowed": True,
                "ride_end_allowed": True,
                "ride_through_allowed": True,
                "maximum_speed_kph": None,
                "vehicle_type_ids": (),
                "station_parking": None,
            }
        ]
    return _zone_frame(rows), _rule_frame(global_rules)


def _geometry(value: Any, src: str, row: int, path: str) -> BaseGeometry:
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise FeedFormatError(
            "expected a GeoJSON (Multi)Polygon geometry", file=src, row=row, field=path
        )
    try:
        return shapely.geometry.shape(value)
    except (
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        RecursionError,
        shapely.errors.ShapelyError,
    ) as exc:
        raise FeedFormatError(
            f"invalid {value['type']} coordinates: {exc}", file=src, row=row, field=path
        ) from exc


def _rules(value: Any, v3: bool, src: str, row: int | None, path: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise FeedFormatError("expected an array of rules", file=src, row=row, field=path)
    out = []
    for k, rule in enumerate(value):
        where = f"{path}[{k}]"
        if not isinstance(rule, dict):
            raise FeedFormatError(
                f"expected an object, got {rule!r}", file=src, row=row, field=where
            )
        types_key = "vehicle_type_ids" if v3 else "vehicle_type_id"
        if v3:
            start, end = rule.get("ride_start_allowed"), rule.get("ride_end_allowed")
            if "ride_allowed" in rule and start is None and end is None:
                raise FeedVersionError(
                    "'ride_allowed' is a GBFS 2.x rule field (3.0: ride_start_allowed, "
                    "ride_end_allowed)",
                    file=src,
                    row=row,
                    field=f"{where}.ride_allowed",
                )
        else:
            start = end = rule.get("ride_allowed")
        flags = {
            "ride_start_allowed": start,
            "ride_end_allowed": end,
            "ride_through_allowed": rule.get("ride_through_allowed"),
            "station_parking": rule.get("station_parking"),
        }
        for key, flag in flags.items():
            if flag is not None and not isinstance(flag, bool):
                raise FeedFormatError(
                    f"expected a boolean, got {flag!r}", file=src, row=row, field=f"{where}.{key}"
                )
        speed = rule.get("maximum_speed_kph")
        if speed is not None and (
            isinstance(speed, bool) or not isinstance(speed, int | float) or speed < 0
        ):
            raise FeedFormatError(
                f"expected a non-negative number, got {speed!r}",
                file=src,
                row=row,
                field=f"{where}.maximum_speed_kph",
            )
        types = id_list(rule.get(types_key), Column(src, path, types_key), k)
        out.append({**flags, "maximum_speed_kph": speed, "vehicle_type_ids": types})
    return out


def _rule_frame(rules: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rules, columns=RULE_COLUMNS)
    return frame.astype(
        {
            "ride_start_allowed": "boolean",
            "ride_end_allowed": "boolean",
            "ride_through_allowed": "boolean",
            "maximum_speed_kph": np.float64,
            "vehicle_type_ids": object,
            "station_parking": "boolean",
        }
    )


def _zone_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    rules = _rule_frame([{k: r[k] for k in RULE_COLUMNS} for r in rows])
    frame = pd.DataFrame(
        {
            "zone_id": pd.Series([r["zone_id"] for r in rows], dtype=object),
            "name": pd.Series([r["name"] for r in rows], dtype=object),
            "geometry": pd.Series([r["geometry"] for r in rows], dtype=object),
        }
    )
    frame = pd.concat([frame, rules], axis=1)
    frame["rule_index"] = pd.array([r["rule_index"] for r in rows], dtype="Int64")
    frame["start"] = pd.Series([r["start"] for r in rows], dtype="datetime64[ns, UTC]")
    frame["end"] = pd.Series([r["end"] for r in rows], dtype="datetime64[ns, UTC]")
    return frame[ZONE_COLUMNS]
