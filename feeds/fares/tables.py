"""Typed fare tables read from an already-loaded GTFS feed (`read_fares`).

Every table of `FareTables` is a DataFrame; ids are ``str`` (blank = ``""``, which in a
rule means "any" or, for Fares v2 without ``rule_priority``, "any not listed
elsewhere"), amounts int64 minor units next to their ``currency``, durations int64
seconds. Absent files give empty tables with the same columns.

Validation raises `FeedFormatError` (a value that does not parse: price, currency,
enumerations, times) or `FeedIntegrityError` (an id that names nothing: a fare_id of
fare_rules not in fare_attributes, an unknown route, product, rider category, fare
medium, network, area, leg group or timeframe; a duplicate primary key), each naming
the file, the line (header = line 1) and the field.

Zones (``origin_id``, ``destination_id``, ``contains_id``) are not checked against
``stops.zone_id``: a rule for a zone no stop is in never matches, which is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from maasmix.errors import FeedFormatError, FeedIntegrityError
from maasmix.feeds.gtfs import GtfsFeed
from maasmix.feeds.gtfs._parse import parse_float, parse_int, parse_time
from maasmix.money import is_currency, to_minor

__all__ = ["FareFeatures", "FareTables", "read_fares"]

DAY_S = 86400

_COLUMNS: dict[str, list[str]] = {
    "attributes": [
        "fare_id",
        "price_minor",
        "currency",
        "payment_method",
        "transfers",
        "transfer_duration_s",
        "agency_id",
    ],
    "rules": ["fare_id", "route_id", "origin_id", "destination_id", "contains_id"],
    "products": [
        "fare_product_id",
        "fare_product_name",
        "rider_category_id",
        "fare_media_id",
        "amount_minor",
        "currency",
    ],
    "media": ["fare_media_id", "fare_media_name", "fare_media_type"],
    "rider_categories": [
        "rider_category_id",
        "rider_category_name",
        "is_default",
        "eligibility_url",
    ],
    "leg_rules": [
        "leg_group_id",
        "network_id",
        "from_area_id",
        "to_area_id",
        "from_timeframe_group_id",
        "to_timeframe_group_id",
        "fare_product_id",
        "rule_priority",
    ],
    "transfer_rules": [
        "from_leg_group_id",
        "to_leg_group_id",
        "transfer_count",
        "duration_limit_s",
        "duration_limit_type",
        "fare_transfer_type",
        "fare_product_id",
    ],
    "timeframes": ["timeframe_group_id", "start_s", "end_s", "service_id"],
    "stops": ["stop_id", "zone_id", "parent_station"],
    "stop_areas": ["area_id", "stop_id"],
    "areas": ["area_id", "area_name"],
    "networks": ["network_id", "network_name"],
    "route_networks": ["route_id", "network_id"],
    "routes": ["route_id", "agency_id"],
}


@dataclass(frozen=True)
class FareFeatures:
    """Which fare features a feed uses (each a bool), for `maasmix fares inspect`."""

    fares_v1: bool
    fares_v2: bool
    zones: bool
    contains: bool
    route_rules: bool
    transfers: bool
    timeframes: bool
    rider_categories: bool
    fare_media: bool
    networks: bool
    areas: bool
    rule_priority: bool

    def to_dict(self) -> dict[str, bool]:
        """``{feature: used}`` in declaration order."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class FareTables:
    """The fare tables of one feed, typed.

    Attributes
    ----------
    attributes : DataFrame
        Fares v1 ``fare_attributes``: ``fare_id``, ``price_minor`` (int64), ``currency``,
        ``payment_method`` (int64: 0 on board, 1 before boarding), ``transfers`` (int64
        transfers allowed; -1 unlimited, the file's blank), ``transfer_duration_s``
        (int64 seconds; -1 when blank), ``agency_id`` (str).
    rules : DataFrame
        Fares v1 ``fare_rules``: ``fare_id``, ``route_id``, ``origin_id``,
        ``destination_id``, ``contains_id`` (str, blank = any).
    products : DataFrame
        ``fare_products``: ``fare_product_id``, ``fare_product_name``,
        ``rider_category_id``, ``fare_media_id`` (str, blank = any), ``amount_minor``
        (int64), ``currency``.
    media : DataFrame
        ``fare_media``: ``fare_media_id``, ``fare_media_name``, ``fare_media_type``
        (int64 0..4).
    rider_categories : DataFrame
        ``rider_category_id``, ``rider_category_name``, ``is_default`` (bool, from
        ``is_default_fare_category``), ``eligibility_url``.
    leg_rules : DataFrame
        ``fare_leg_rules``: ``leg_group_id``, ``network_id``, ``from_area_id``,
        ``to_area_id``, ``from_timeframe_group_id``, ``to_timeframe_group_id``,
        ``fare_product_id`` (str), ``rule_priority`` (int64, 0 when blank or absent).
    transfer_rules : DataFrame
        ``fare_transfer_rules``: ``from_leg_group_id``, ``to_leg_group_id`` (str),
        ``transfer_count`` (int64: -1 unlimited, 0 when blank), ``duration_limit_s``
        (int64, -1 when blank), ``duration_limit_type`` (int64 0..3, -1 when blank),
        ``fare_transfer_type`` (int64 0: A + AB, 1: A + AB + B, 2: AB),
        ``fare_product_id`` (str, blank = the transfer itself costs nothing).
    timeframes : DataFrame
        ``timeframe_group_id``, ``start_s``, ``end_s`` (int64 seconds of the service
        day, end exclusive; blanks are 0 and 86400), ``service_id``.
    stops : DataFrame
        ``stop_id``, ``zone_id``, ``parent_station`` (str) of every stop.
    stop_areas, areas, networks : DataFrame
        ``area_id``/``stop_id``; ``area_id``/``area_name``; ``network_id``/``network_name``.
    route_networks : DataFrame
        ``route_id``, ``network_id``: ``routes.network_id`` and ``route_networks.txt``
        together.
    routes : DataFrame
        ``route_id``, ``agency_id`` (the single agency's id, or "", when blank).
    has_rule_priority : bool
        Whether fare_leg_rules.txt has a ``rule_priority`` column (the matching
        semantics of blank ids depend on it, see `maasmix.engine.fares`).
    source : str
        The feed's path or URL.
    """

    attributes: pd.DataFrame
    rules: pd.DataFrame
    products: pd.DataFrame
    media: pd.DataFrame
    rider_categories: pd.DataFrame
    leg_rules: pd.DataFrame
    transfer_rules: pd.DataFrame
    timeframes: pd.DataFrame
    stops: pd.DataFrame
    stop_areas: pd.DataFrame
    areas: pd.DataFrame
    networks: pd.DataFrame
    route_networks: pd.DataFrame
    routes: pd.DataFrame
    has_rule_priority: bool
    source: str

    @property
    def has_v1(self) -> bool:
        """Whether the feed publishes Fares v1 (fare_attributes rows)."""
        return len(self.attributes) > 0

    @property
    def has_v2(self) -> bool:
        """Whether the feed publishes Fares v2 (fare_products and fare_leg_rules rows)."""
        return len(self.products) > 0 and len(self.leg_rules) > 0

    def features(self) -> FareFeatures:
        """Which fare features the feed uses."""
        r = self.rules
        v1_transfers = bool(
            ((self.attributes["transfers"] != 0) | (self.attributes["transfer_duration_s"] >= 0))
            .to_numpy(dtype=bool)
            .any()
        )
        lr = self.leg_rules
        return FareFeatures(
            fares_v1=self.has_v1,
            fares_v2=self.has_v2,
            zones=bool(((r["origin_id"] != "") | (r["destination_id"] != "")).any()),
            contains=bool((r["contains_id"] != "").any()),
            route_rules=bool((r["route_id"] != "").any()),
            transfers=v1_transfers or len(self.transfer_rules) > 0,
            timeframes=bool(
                ((lr["from_timeframe_group_id"] != "") | (lr["to_timeframe_group_id"] != "")).any()
            ),
            rider_categories=len(self.rider_categories) > 0,
            fare_media=len(self.media) > 0,
            networks=bool((lr["network_id"] != "").any()),
            areas=bool(((lr["from_area_id"] != "") | (lr["to_area_id"] != "")).any()),
            rule_priority=self.has_rule_priority,
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready row counts per table, currencies and the feature flags."""
        currencies = sorted(
            set(self.attributes["currency"].tolist()) | set(self.products["currency"].tolist())
        )
        return {
            "source": self.source,
            "fare_attributes": len(self.attributes),
            "fare_rules": len(self.rules),
            "fare_products": int(self.products["fare_product_id"].nunique()),
            "fare_product_rows": len(self.products),
            "fare_media": len(self.media),
            "rider_categories": len(self.rider_categories),
            "fare_leg_rules": len(self.leg_rules),
            "fare_transfer_rules": len(self.transfer_rules),
            "timeframes": len(self.timeframes),
            "areas": len(set(self.areas["area_id"]) | set(self.stop_areas["area_id"])),
            "networks": len(
                set(self.networks["network_id"]) | set(self.route_networks["network_id"])
            ),
            "currencies": currencies,
            "features": self.features().to_dict(),
        }


# ---------------------------------------------------------------------------- reading


#: Largest fare amount read, in minor units (10^15: far beyond any fare, still an int64).
MAX_AMOUNT_MINOR = 10**15


class _Table:
    """One GTFS table as read: string columns (missing ones blank) and line numbers."""

    def __init__(self, feed: GtfsFeed, name: str) -> None:
        self.name = name
        self.file = f"{name}.txt"
        if name in feed.tables:
            self.frame = feed.tables[name]
            self.lines = np.asarray(feed.line_numbers(name), dtype=np.int64)
        else:
            self.frame = pd.DataFrame()
            self.lines = np.zeros(0, dtype=np.int64)
        self.n = len(self.frame)

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def col(self, column: str) -> pd.Series:
        if column in self.frame.columns:
            return self.frame[column].astype(str).reset_index(drop=True)
        return pd.Series([""] * self.n, dtype=object)

    def fail_format(self, i: int, column: str, message: str) -> FeedFormatError:
        return FeedFormatError(message, file=self.file, row=int(self.lines[i]), field=column)

    def known(self, column: str, allowed: set[str], what: str, *, blank_ok: bool = True) -> None:
        """Every non-blank value of ``column`` is in ``allowed`` (else FeedIntegrityError)."""
        values = self.col(column)
        bad = ~values.isin(allowed)
        if blank_ok:
            bad &= values != ""
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
            raise FeedIntegrityError(
                f"unknown {what} {values.iloc[i]!r}",
                file=self.file,
                row=int(self.lines[i]),
                field=column,
            )

    def unique(self, columns: tuple[str, ...]) -> None:
        """The ``columns`` together are unique (else FeedIntegrityError on the repeat)."""
        if not self.n:
            return
        keys = pd.DataFrame({c: self.col(c) for c in columns})
        dup = keys.duplicated().to_numpy(dtype=bool)
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            shown = ", ".join(f"{c}={keys.iloc[i][c]!r}" for c in columns)
            raise FeedIntegrityError(
                f"duplicate {shown}", file=self.file, row=int(self.lines[i]), field=columns[0]
            )

    def int_col(self, column: str, *, default: int, low: int, high: int | None) -> np.ndarray:
        return parse_int(
            self.col(column), self.lines, self.file, column, default=default, low=low, high=high
        )

    def currency_col(self, column: str) -> list[str]:
        values = self.col(column).str.upper()
        for i, code in enumerate(values.tolist()):
            if not is_currency(code):
                raise self.fail_format(i, column, f"not an ISO 4217 currency code: {code!r}")
        return list(values)

    def amount_col(self, column: str, currencies: list[str], *, low: float | None) -> np.ndarray:
        values = self.col(column)
        parse_float(values, self.lines, self.file, column, required=True, low=low)
        out = np.zeros(self.n, dtype=np.int64)
        for i, (text, currency) in enumerate(zip(values.tolist(), currencies, strict=True)):
            try:
                minor = to_minor(text.strip(), currency)
            except ValueError:
                minor = None
            if minor is None or abs(minor) > MAX_AMOUNT_MINOR:
                shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:37] + "..."
                raise self.fail_format(i, column, f"not a price: {shown!r} is out of range")
            out[i] = minor
        return out


def _frame(kind: str, data: dict[str, Any]) -> pd.DataFrame:
    columns = _COLUMNS[kind]
    frame = pd.DataFrame({c: data[c] for c in columns}, columns=columns)
    for c in columns:
        if frame[c].dtype == object or (len(frame) == 0 and c not in data):
            frame[c] = frame[c].astype(object)
    return frame.reset_index(drop=True)


def read_fares(feed: GtfsFeed) -> FareTables:
    """The fare tables of ``feed`` (a `load_gtfs` result), typed and validated.

    Raises
    ------
    FeedFormatError
        A value that does not parse (file, line and field named).
    FeedIntegrityError
        An id that names nothing, or a duplicate primary key.
    """
    routes_t = _Table(feed, "routes")
    stops_t = _Table(feed, "stops")
    agency_t = _Table(feed, "agency")
    route_ids = set(routes_t.col("route_id"))
    stop_ids = set(stops_t.col("stop_id"))
    agency_ids = set(agency_t.col("agency_id")) - {""}
    single_agency = agency_t.col("agency_id").iloc[0] if agency_t.n == 1 else ""
    route_agency = routes_t.col("agency_id").where(routes_t.col("agency_id") != "", single_agency)
    routes = _frame("routes", {"route_id": routes_t.col("route_id"), "agency_id": route_agency})
    stops = _frame(
        "stops",
        {
            "stop_id": stops_t.col("stop_id"),
            "zone_id": stops_t.col("zone_id"),
            "parent_station": stops_t.col("parent_station"),
        },
    )

    # ---------------------------------------------------------------- Fares v1
    fa = _Table(feed, "fare_attributes")
    fa.unique(("fare_id",))
    fa_currency = fa.currency_col("currency_type")
    attributes = _frame(
        "attributes",
        {
            "fare_id": fa.col("fare_id"),
            "price_minor": fa.amount_col("price", fa_currency, low=0.0),
            "currency": pd.Series(fa_currency, dtype=object),
            "payment_method": parse_int(
                fa.col("payment_method"), fa.lines, fa.file, "payment_method", low=0, high=1
            ),
            "transfers": fa.int_col("transfers", default=-1, low=0, high=2),
            "transfer_duration_s": fa.int_col("transfer_duration", default=-1, low=0, high=None),
            "agency_id": fa.col("agency_id"),
        },
    )
    if agency_ids:
        fa.known("agency_id", agency_ids, "agency_id")
    fr = _Table(feed, "fare_rules")
    fr.known("fare_id", set(attributes["fare_id"]), "fare_id", blank_ok=False)
    fr.known("route_id", route_ids, "route_id")
    rules = _frame("rules", {c: fr.col(c) for c in _COLUMNS["rules"]})

    # ---------------------------------------------------------------- Fares v2
    rc = _Table(feed, "rider_categories")
    rc.unique(("rider_category_id",))
    rider_categories = _frame(
        "rider_categories",
        {
            "rider_category_id": rc.col("rider_category_id"),
            "rider_category_name": rc.col("rider_category_name"),
            "is_default": rc.int_col("is_default_fare_category", default=0, low=0, high=1).astype(
                bool
            ),
            "eligibility_url": rc.col("eligibility_url"),
        },
    )
    fm = _Table(feed, "fare_media")
    fm.unique(("fare_media_id",))
    media = _frame(
        "media",
        {
            "fare_media_id": fm.col("fare_media_id"),
            "fare_media_name": fm.col("fare_media_name"),
            "fare_media_type": parse_int(
                fm.col("fare_media_type"), fm.lines, fm.file, "fare_media_type", low=0, high=4
            ),
        },
    )

    fp = _Table(feed, "fare_products")
    fp.unique(("fare_product_id", "rider_category_id", "fare_media_id"))
    if rc.n or fp.has("rider_category_id"):
        fp.known("rider_category_id", set(rider_categories["rider_category_id"]), "rider category")
    if fm.n or fp.has("fare_media_id"):
        fp.known("fare_media_id", set(media["fare_media_id"]), "fare_media_id")
    fp_currency = fp.currency_col("currency")
    products = _frame(
        "products",
        {
            "fare_product_id": fp.col("fare_product_id"),
            "fare_product_name": fp.col("fare_product_name"),
            "rider_category_id": fp.col("rider_category_id"),
            "fare_media_id": fp.col("fare_media_id"),
            "amount_minor": fp.amount_col("amount", fp_currency, low=None),
            "currency": pd.Series(fp_currency, dtype=object),
        },
    )
    product_ids = set(products["fare_product_id"])

    ar = _Table(feed, "areas")
    ar.unique(("area_id",))
    areas = _frame("areas", {"area_id": ar.col("area_id"), "area_name": ar.col("area_name")})
    sa = _Table(feed, "stop_areas")
    if ar.n:
        sa.known("area_id", set(areas["area_id"]), "area_id", blank_ok=False)
    sa.known("stop_id", stop_ids, "stop_id", blank_ok=False)
    stop_areas = _frame("stop_areas", {"area_id": sa.col("area_id"), "stop_id": sa.col("stop_id")})

    nw = _Table(feed, "networks")
    nw.unique(("network_id",))
    networks = _frame(
        "networks", {"network_id": nw.col("network_id"), "network_name": nw.col("network_name")}
    )
    rn = _Table(feed, "route_networks")
    rn.known("route_id", route_ids, "route_id", blank_ok=False)
    if nw.n:
        rn.known("network_id", set(networks["network_id"]), "network_id", blank_ok=False)
    from_routes = pd.DataFrame(
        {"route_id": routes_t.col("route_id"), "network_id": routes_t.col("network_id")}
    )
    from_routes = from_routes[from_routes["network_id"] != ""]
    route_networks = _frame(
        "route_networks",
        {
            "route_id": pd.concat([from_routes["route_id"], rn.col("route_id")], ignore_index=True),
            "network_id": pd.concat(
                [from_routes["network_id"], rn.col("network_id")], ignore_index=True
            ),
        },
    ).drop_duplicates(ignore_index=True)

    tf = _Table(feed, "timeframes")
    start_s, start_given = parse_time(tf.col("start_time"), tf.lines, tf.file, "start_time")
    end_s, end_given = parse_time(tf.col("end_time"), tf.lines, tf.file, "end_time")
    if tf.n:
        tf.known(
            "service_id",
            set(_Table(feed, "trips").col("service_id")) | _services(feed),
            "service_id",
            blank_ok=False,
        )
    timeframes = _frame(
        "timeframes",
        {
            "timeframe_group_id": tf.col("timeframe_group_id"),
            "start_s": np.where(start_given, start_s, 0).astype(np.int64),
            "end_s": np.where(end_given, end_s, DAY_S).astype(np.int64),
            "service_id": tf.col("service_id"),
        },
    )

    lr = _Table(feed, "fare_leg_rules")
    lr.known("fare_product_id", product_ids, "fare_product_id", blank_ok=False)
    known_networks = set(networks["network_id"]) | set(route_networks["network_id"])
    lr.known("network_id", known_networks, "network_id")
    known_areas = set(areas["area_id"]) | set(stop_areas["area_id"])
    lr.known("from_area_id", known_areas, "area_id")
    lr.known("to_area_id", known_areas, "area_id")
    groups = set(timeframes["timeframe_group_id"])
    lr.known("from_timeframe_group_id", groups, "timeframe_group_id")
    lr.known("to_timeframe_group_id", groups, "timeframe_group_id")
    leg_rules = _frame(
        "leg_rules",
        {
            **{c: lr.col(c) for c in _COLUMNS["leg_rules"][:-1]},
            "rule_priority": lr.int_col("rule_priority", default=0, low=0, high=None),
        },
    )

    tr = _Table(feed, "fare_transfer_rules")
    leg_groups = set(leg_rules["leg_group_id"]) - {""}
    tr.known("from_leg_group_id", leg_groups, "leg_group_id")
    tr.known("to_leg_group_id", leg_groups, "leg_group_id")
    tr.known("fare_product_id", product_ids, "fare_product_id")
    count = tr.int_col("transfer_count", default=0, low=-1, high=None)
    if (count == 0).any() and tr.has("transfer_count"):
        zero = (tr.col("transfer_count") != "").to_numpy(dtype=bool) & (count == 0)
        if zero.any():
            raise tr.fail_format(
                int(np.flatnonzero(zero)[0]),
                "transfer_count",
                "transfer_count must be -1 or at least 1",
            )
    limit = tr.int_col("duration_limit", default=-1, low=1, high=None)
    limit_type = tr.int_col("duration_limit_type", default=-1, low=0, high=3)
    missing_type = (limit >= 0) & (limit_type < 0)
    if missing_type.any():
        raise tr.fail_format(
            int(np.flatnonzero(missing_type)[0]),
            "duration_limit_type",
            "required when duration_limit is given",
        )
    transfer_type = parse_int(
        tr.col("fare_transfer_type"), tr.lines, tr.file, "fare_transfer_type", low=0, high=2
    )
    transfer_rules = _frame(
        "transfer_rules",
        {
            "from_leg_group_id": tr.col("from_leg_group_id"),
            "to_leg_group_id": tr.col("to_leg_group_id"),
            "transfer_count": count,
            "duration_limit_s": limit,
            "duration_limit_type": limit_type,
            "fare_transfer_type": transfer_type,
            "fare_product_id": tr.col("fare_product_id"),
        },
    )
    return FareTables(
        attributes=attributes,
        rules=rules,
        products=products,
        media=media,
        rider_categories=rider_categories,
        leg_rules=leg_rules,
        transfer_rules=transfer_rules,
        timeframes=timeframes,
        stops=stops,
        stop_areas=stop_areas,
        areas=areas,
        networks=networks,
        route_networks=route_networks,
        routes=routes,
        has_rule_priority=lr.has("rule_priority"),
        source=feed.source,
    )


def _services(feed: GtfsFeed) -> set[str]:
    out: set[str] = set()
    for name in ("calendar", "calendar_dates"):
        if name in feed.tables:
            out |= set(feed.tables[name]["service_id"].astype(str))
    return out
