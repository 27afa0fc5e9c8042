"""Reading GBFS values of every version: numbers, booleans, timestamps, localized strings, money.

Each helper works on one column (one field over the items of one JSON array) so that the
checks run once per column, and names the first bad item by its index in the array
(``row``) and its JSON path (``field``, e.g. ``data.stations[12].lat``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from maasmix.errors import FeedFormatError, FeedMissingError, FeedWarning
from maasmix.money import currency_exponent

_RFC3339_OFFSET = r"(?:[Zz]|[+-]\d\d:?\d\d)$"


@dataclass(frozen=True)
class Column:
    """Where one field of one JSON array lives: for error messages.

    ``file`` is the file or URL; ``array`` the JSON path of the array (``data.stations``);
    ``field`` the key inside each item (``lat``; may be dotted for nested keys).
    """

    file: str
    array: str
    field: str

    def path(self, index: int) -> str:
        """JSON path of this field in item ``index``: ``data.stations[12].lat``."""
        return f"{self.array}[{index}].{self.field}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def float_column(
    values: Sequence[Any], where: Column, *, lo: float = -math.inf, hi: float = math.inf
) -> np.ndarray:
    """The values as float64 (NaN where missing/null).

    Numbers pass; numeric strings are read as numbers with one FeedWarning per column;
    anything else (a non-numeric string, a boolean, an object) or a number outside
    ``[lo, hi]`` raises FeedFormatError naming the first bad item.
    """
    series = pd.Series(list(values), dtype=object)
    is_str = series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    scalar = is_str | series.map(_is_number).to_numpy(dtype=bool)
    present = series.notna().to_numpy()
    out = pd.to_numeric(series.where(scalar, None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = present & (np.isnan(out) | ~scalar)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FeedFormatError(
            f"expected a number, got {values[i]!r}", file=where.file, row=i, field=where.path(i)
        )
    if is_str.any():
        warnings.warn(
            f"{where.file}: {int(is_str.sum())} value(s) of {where.array}[].{where.field} "
            "are numbers written as strings; read as numbers",
            FeedWarning,
            stacklevel=3,
        )
    with np.errstate(invalid="ignore"):
        outside = ~np.isnan(out) & ((out < lo) | (out > hi) | ~np.isfinite(out))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise FeedFormatError(
            f"{values[i]!r} is outside [{lo}, {hi}]", file=where.file, row=i, field=where.path(i)
        )
    return out


def int_column(values: Sequence[Any], where: Column, *, lo: float = 0) -> pd.Series:
    """The values as nullable Int64 (<NA> where missing); non-integers raise FeedFormatError."""
    floats = float_column(values, where, lo=lo)
    fractional = ~np.isnan(floats) & (floats != np.round(floats))
    if fractional.any():
        i = int(np.flatnonzero(fractional)[0])
        raise FeedFormatError(
            f"expected an integer, got {values[i]!r}", file=where.file, row=i, field=where.path(i)
        )
    return pd.Series(pd.array(floats, dtype="Float64")).round().astype("Int64")


def bool_column(values: Sequence[Any], where: Column) -> pd.Series:
    """The values as nullable boolean: JSON true/false, or 0/1 as GBFS 1.x wrote them."""
    out: list[bool | None] = []
    for i, value in enumerate(values):
        if value is None or isinstance(value, bool):
            out.append(value)
        elif _is_number(value) and value in (0, 1):
            out.append(bool(value))
        else:
            raise FeedFormatError(
                f"expected a boolean, got {value!r}", file=where.file, row=i, field=where.path(i)
            )
    return pd.Series(pd.array(out, dtype="boolean"))


def id_column(values: Sequence[Any], where: Column, *, required: bool = True) -> list[str | None]:
    """IDs as strings; numbers are accepted and written in decimal; missing raise when required."""
    out: list[str | None] = []
    for i, value in enumerate(values):
        if isinstance(value, str) and value != "":
            out.append(value)
        elif _is_number(value) and float(value).is_integer():
            out.append(str(int(value)))
        elif value is None or value == "":
            if required:
                raise FeedMissingError(
                    "required ID is missing", file=where.file, row=i, field=where.path(i)
                )
            out.append(None)
        else:
            raise FeedFormatError(
                f"expected an ID string, got {value!r}", file=where.file, row=i, field=where.path(i)
            )
    return out


def id_list(value: Any, where: Column, index: int) -> tuple[str, ...]:
    """A JSON array of IDs (or null) as a tuple of strings."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FeedFormatError(
            f"expected an array of ID strings, got {value!r}",
            file=where.file,
            row=index,
            field=where.path(index),
        )
    return tuple(value)


def parse_timestamp(value: Any, *, file: str, field: str, row: int | None = None) -> pd.Timestamp:
    """A GBFS timestamp as a UTC Timestamp: POSIX seconds (<= 2.x) or RFC 3339 (3.0)."""
    stamps = timestamp_column([value], Column(file, "", ""), paths=[field], rows=[row])
    stamp = stamps.iloc[0]
    if pd.isna(stamp):
        raise FeedMissingError("required timestamp is missing", file=file, row=row, field=field)
    return pd.Timestamp(stamp)


def timestamp_column(
    values: Sequence[Any],
    where: Column,
    *,
    paths: Sequence[str] | None = None,
    rows: Sequence[int | None] | None = None,
) -> pd.Series:
    """Timestamps as datetime64[ns, UTC] (NaT where missing).

    Integers/floats are POSIX seconds (GBFS <= 2.x); strings are RFC 3339 with an offset
    (GBFS 3.0). Anything else, or a string without a UTC offset, raises FeedFormatError.
    """
    n = len(values)
    seconds = np.full(n, np.nan)
    texts: dict[int, str] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        if _is_number(value):
            seconds[i] = float(value)
        elif isinstance(value, str):
            texts[i] = value
        else:
            _bad_timestamp(value, where, i, paths, rows)
    out = _posix_seconds(seconds, where, values, paths, rows)
    if texts:
        idx = list(texts)
        strings = pd.Series(list(texts.values()), dtype=object)
        no_offset = ~strings.str.contains(_RFC3339_OFFSET, regex=True).to_numpy(dtype=bool)
        if no_offset.any():
            i = idx[int(np.flatnonzero(no_offset)[0])]
            _bad_timestamp(texts[i], where, i, paths, rows, "has no UTC offset (RFC 3339)")
        spaced = strings.str.match(r"^\d{4}-\d\d-\d\d \d").to_numpy(dtype=bool)
        if spaced.any():
            i = idx[int(np.flatnonzero(spaced)[0])]
            warnings.warn(
                f"{where.file}: {int(spaced.sum())} timestamp(s) written with a space instead "
                f"of 'T' (e.g. {texts[i]!r} at {paths[i] if paths is not None else where.path(i)})"
                "; read as RFC 3339",
                FeedWarning,
                stacklevel=3,
            )
        try:
            parsed = pd.to_datetime(strings, format="ISO8601", utc=True)
        except (ValueError, TypeError):
            for i in idx:  # find the culprit one by one (rare path)
                try:
                    pd.Timestamp(texts[i])
                except ValueError:
                    _bad_timestamp(texts[i], where, i, paths, rows)
            raise
        out.iloc[idx] = parsed.to_numpy()
    return out.astype("datetime64[ns, UTC]")


#: Latest POSIX time accepted (2200-01-01): beyond it a timestamp is a unit mix-up.
_MAX_POSIX_S = 7_258_118_400.0


def _posix_seconds(
    seconds: np.ndarray,
    where: Column,
    values: Sequence[Any],
    paths: Sequence[str] | None,
    rows: Sequence[int | None] | None,
) -> pd.Series:
    """POSIX seconds (NaN: missing) as datetime64[ns, UTC], converted in integers here
    rather than by pandas' float path, so no floating-point state can make it fail."""
    present = ~np.isnan(seconds)
    bad = present & ~((seconds >= 0) & (seconds <= _MAX_POSIX_S))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        _bad_timestamp(values[i], where, i, paths, rows, "is outside 1970 .. 2200")
    nanoseconds = np.full(len(seconds), np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    with np.errstate(all="ignore"):
        whole = np.floor(seconds[present])
        nanoseconds[present] = whole.astype(np.int64) * 1_000_000_000 + np.round(
            (seconds[present] - whole) * 1e9
        ).astype(np.int64)
    return pd.Series(pd.DatetimeIndex(nanoseconds.view("datetime64[ns]")).tz_localize("UTC"))


def _bad_timestamp(
    value: Any,
    where: Column,
    i: int,
    paths: Sequence[str] | None,
    rows: Sequence[int | None] | None,
    why: str = "is not a POSIX time or an RFC 3339 timestamp",
) -> None:
    field = paths[i] if paths is not None else where.path(i)
    row = rows[i] if rows is not None else i
    raise FeedFormatError(f"{value!r} {why}", file=where.file, row=row, field=field)


def localized(
    value: Any, languages: Sequence[str], *, file: str, field: str, row: int | None = None
) -> str | None:
    """The text of a GBFS string field in the wanted language.

    ``value`` is a plain string (GBFS <= 2.x: the feed is in one language), or a v3.0
    Array<Localized String> ``[{"text": ..., "language": ...}]``: the first entry whose
    language is in ``languages`` (in that order of preference) wins, else the first entry.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        isinstance(v, dict) and isinstance(v.get("text"), str) for v in value
    ):
        if not value:
            return None
        by_language = {v.get("language"): v["text"] for v in value}
        for language in languages:
            if language in by_language:
                return str(by_language[language])
        return str(value[0]["text"])
    raise FeedFormatError(
        f"expected a string or a list of {{text, language}}, got {value!r}",
        file=file,
        row=row,
        field=field,
    )


#: Largest price or rate read, in major units (a billion: beyond it an amount is junk, and
#: its minor units would not fit an int64).
MAX_AMOUNT = Decimal(10**9)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_minor_units(
    value: Any, currency: str, *, file: str, field: str, row: int | None, rounded: list[str]
) -> int:
    """A decimal amount (number or numeric string) in integer minor units of ``currency``.

    Amounts finer than the minor unit are rounded half-even; their paths are appended
    to ``rounded`` so that the caller can warn once.
    """
    if isinstance(value, bool) or not (_is_number(value) or isinstance(value, str)):
        raise FeedFormatError(f"expected an amount, got {value!r}", file=file, row=row, field=field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise FeedFormatError(
            f"expected an amount, got {value!r}", file=file, row=row, field=field
        ) from None
    if not amount.is_finite():
        raise FeedFormatError(f"expected an amount, got {value!r}", file=file, row=row, field=field)
    if amount.copy_abs() > MAX_AMOUNT:  # copy_abs: no context, no Overflow signal
        raise FeedFormatError(
            f"amount {_short(value)} is beyond +-{MAX_AMOUNT} (not a price)",
            file=file,
            row=row,
            field=field,
        )
    scaled = amount.scaleb(currency_exponent(currency))
    whole = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    if whole != scaled:
        rounded.append(field)
    return int(whole)
