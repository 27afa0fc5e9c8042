"""Vectorised parsers for GTFS field types; the first bad value raises with file, line and field.

Every function takes the column as a pandas Series of ``str`` (blank = ``""``), the line
number of each row (header = line 1), the file name and the field name, and returns a
numpy array. No Python loop runs per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from maasmix.errors import FeedFormatError

_DIGIT_0 = 48
_COLON = 58


def _fail(
    message: str, bad: np.ndarray, values: pd.Series, lines: np.ndarray, file: str, field: str
) -> FeedFormatError:
    i = int(np.flatnonzero(bad)[0])
    return FeedFormatError(
        f"{message}: {values.iloc[i]!r}", file=file, row=int(lines[i]), field=field
    )


def _as_bytes_matrix(
    values: pd.Series, lines: np.ndarray, file: str, field: str, what: str, min_width: int
) -> np.ndarray:
    """ASCII values as an (n, width) uint8 matrix, zero-padded on the right."""
    arr = values.to_numpy(dtype=object)
    try:
        raw = arr.astype(np.bytes_)
    except UnicodeEncodeError as exc:
        bad = values.str.contains(r"[^\x00-\x7f]", regex=True).to_numpy(dtype=bool)
        raise _fail(f"not a valid {what}", bad, values, lines, file, field) from exc
    width = raw.dtype.itemsize
    if width == 0 or len(raw) == 0:
        return np.zeros((len(raw), min_width), dtype=np.uint8)
    mat = raw.view(np.uint8).reshape(len(raw), width)
    if width < min_width:
        mat = np.pad(mat, ((0, 0), (0, min_width - width)))
    return mat


def parse_time(
    values: pd.Series, lines: np.ndarray, file: str, field: str
) -> tuple[np.ndarray, np.ndarray]:
    """GTFS times ``H:MM:SS`` / ``HH:MM:SS`` (hours may pass 24) as seconds.

    Returns
    -------
    seconds : ndarray of int32
        Seconds after midnight (noon minus 12 h) of the service day; 0 where blank.
    present : ndarray of bool
        False where the value is blank.
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=bool)
    mat = _as_bytes_matrix(values, lines, file, field, "time (H:MM:SS)", 8)
    length = (mat != 0).sum(axis=1)
    present = length > 0
    rows = np.arange(n)
    ok = ~present | (length >= 7)
    # Right-aligned positions: ...H:MM:SS
    safe = np.maximum(length, 7)

    def at(offset: int) -> np.ndarray:
        return mat[rows, safe - offset].astype(np.int64)

    s2, s1, c2, m2, m1, c1 = at(1), at(2), at(3), at(4), at(5), at(6)
    digits = np.stack([s2, s1, m2, m1]) - _DIGIT_0
    ok &= ~present | ((digits >= 0) & (digits <= 9)).all(axis=0)
    ok &= ~present | ((c1 == _COLON) & (c2 == _COLON))
    # Hours: everything before position length-6, 1 to 3 digits.
    width = mat.shape[1]
    hour_len = safe - 6
    ok &= ~present | ((hour_len >= 1) & (hour_len <= 3))
    cols = np.arange(width)
    in_hour = cols[None, :] < hour_len[:, None]
    hour_digits = mat.astype(np.int64) - _DIGIT_0
    ok &= ~present | np.where(in_hour, (hour_digits >= 0) & (hour_digits <= 9), True).all(axis=1)
    place = np.where(in_hour, 10 ** np.clip(hour_len[:, None] - 1 - cols[None, :], 0, 3), 0)
    hours = (np.where(in_hour, hour_digits, 0) * place).sum(axis=1)
    minutes = (m1 - _DIGIT_0) * 10 + (m2 - _DIGIT_0)
    seconds = (s1 - _DIGIT_0) * 10 + (s2 - _DIGIT_0)
    ok &= ~present | ((minutes < 60) & (seconds < 60))
    if not ok.all():
        raise _fail("not a valid time (H:MM:SS)", ~ok, values, lines, file, field)
    total = np.where(present, hours * 3600 + minutes * 60 + seconds, 0)
    return total.astype(np.int32), present


def parse_float(
    values: pd.Series,
    lines: np.ndarray,
    file: str,
    field: str,
    *,
    required: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> np.ndarray:
    """Decimal numbers as float64 (NaN where blank); ``required`` forbids blanks."""
    blank = (values == "").to_numpy(dtype=bool)
    if required and blank.any():
        raise _fail("required value is blank", blank, values, lines, file, field)
    numbers = np.full(len(values), np.nan)
    if not blank.all():
        raw = values.to_numpy(dtype=object)
        try:
            numbers[~blank] = raw[~blank].astype(np.float64)
        except (ValueError, TypeError):
            numbers = pd.to_numeric(values.where(~blank, None), errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
    bad = ~blank & ~np.isfinite(numbers)
    if bad.any():
        raise _fail("not a number", bad, values, lines, file, field)
    if low is not None or high is not None:
        with np.errstate(invalid="ignore"):
            out = np.zeros(len(numbers), dtype=bool)
            if low is not None:
                out |= numbers < low
            if high is not None:
                out |= numbers > high
        if out.any():
            raise _fail(f"out of range [{low}, {high}]", out, values, lines, file, field)
    return numbers


def parse_int(
    values: pd.Series,
    lines: np.ndarray,
    file: str,
    field: str,
    *,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> np.ndarray:
    """Integers as int64; blanks become ``default`` (an error when ``default`` is None)."""
    blank = (values == "").to_numpy(dtype=bool)
    if default is None and blank.any():
        raise _fail("required value is blank", blank, values, lines, file, field)
    fill = 0 if default is None else default
    result = np.full(len(values), fill, dtype=np.int64)
    if not blank.all():
        raw = values.to_numpy(dtype=object)
        try:
            result[~blank] = raw[~blank].astype(np.int64)
        except (ValueError, TypeError, OverflowError):
            numbers = pd.to_numeric(values.where(~blank, None), errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            with np.errstate(invalid="ignore"):
                bad = ~blank & (~np.isfinite(numbers) | (numbers != np.round(numbers)))
            if bad.any():
                raise _fail("not an integer", bad, values, lines, file, field) from None
            result = np.where(blank, fill, numbers).astype(np.int64)
    out = np.zeros(len(result), dtype=bool)
    if low is not None:
        out |= ~blank & (result < low)
    if high is not None:
        out |= ~blank & (result > high)
    if out.any():
        raise _fail(f"out of range [{low}, {high}]", out, values, lines, file, field)
    return result


def parse_date(values: pd.Series, lines: np.ndarray, file: str, field: str) -> np.ndarray:
    """``YYYYMMDD`` dates as datetime64[D]; blanks are an error."""
    if len(values) == 0:
        return np.zeros(0, dtype="datetime64[D]")
    parsed = pd.to_datetime(values, format="%Y%m%d", errors="coerce")
    bad = (parsed.isna() | (values.str.len() != 8)).to_numpy(dtype=bool)
    if bad.any():
        raise _fail("not a date (YYYYMMDD)", bad, values, lines, file, field)
    return parsed.to_numpy().astype("datetime64[D]")
