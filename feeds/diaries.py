"""Trip diaries: who travels where, when and how often, read from CSV or Parquet.

A trip diary is one row per trip a surveyed (or synthetic) person makes on an ordinary
service day. ``read_diary(path)`` reads ``.csv``, ``.csv.gz``, ``.parquet`` or ``.pq``
(by suffix) and validates every value; ``diary_from_frame(frame)`` does the same for a
DataFrame already in memory. Both return a `Diary` whose ``trips`` is a plain typed
table (columns below). Bad input raises `maasmix.errors.DiaryError` naming the file (as
given), the row and the column; rows are the line numbers an editor shows for CSV
(header = line 1, first data row = line 2; a header problem is row 1) and the row
index + 1 for Parquet and in-memory frames.

Input columns
-------------
Exactly one of ``departure_time`` / ``arrival_time`` is filled in each row (both
columns may exist); a row with both or neither is an error. Times are GTFS-style
clocks ``HH:MM[:SS]`` of the service day, 00:00 .. 48:00:00. ``weight`` is the same
in every row of one person. Origin and destination must be more than 1 m apart.
Unknown extra columns get a `maasmix.errors.FeedWarning` naming them (with a hint
when one is close to a known name) and are ignored.

{columns}

``mode_today`` is one of {modes} (blank: unknown).

Output: ``Diary.trips``
-----------------------
One row per trip, in the order of the input, with a RangeIndex:

===================  ========  ======================================================
column               dtype     meaning
===================  ========  ======================================================
``row``              int64     where the trip is in the input (see above)
``trip_id``          object    str, unique; default ``f"{{person_id}}-{{n}}"``, n = 1, 2,
                               ... the trip's position among its person's rows
``person_id``        object    str
``segment``          object    str, 1..80 characters
``weight``           float64   people this person stands for, > 0
``origin_lat``       float64   degrees WGS84
``origin_lon``       float64   degrees WGS84
``destination_lat``  float64   degrees WGS84
``destination_lon``  float64   degrees WGS84
``time_s``           int32     seconds after the service day's midnight
``arrive_by``        bool      True: ``time_s`` is the arrival wanted (from
                               ``arrival_time``); False: the departure
``trips_per_month``  float64   how often the person makes this trip, (0, 1000]
``mode_today``       object    str from the vocabulary, ``""`` when unknown
``rider_category``   object    str, or None when blank
===================  ========  ======================================================

Bounds: files larger than `MAX_DIARY_BYTES` (uncompressed for ``.csv.gz``, inflated in
pieces and refused as soon as it passes that size or the feed limit
``max_compression_ratio``) and diaries of more than ``max_rows`` rows (or more than twice
as many lines, blank ones included) are refused before they are parsed; CSV goes through
the bounded scanner of `maasmix.feeds.gtfs._csv` first, so a line, header or row beyond
the feed limits (`maasmix.feeds.limits`) fails fast without materialising it.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import re
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from maasmix.errors import DiaryError, FeedError, FeedFormatError, FeedWarning, QueryError
from maasmix.feeds import limits as feed_limits
from maasmix.feeds._parquet import parquet_problem
from maasmix.feeds.gtfs._csv import read_csv_table, scan_csv
from maasmix.feeds.gtfs._read import usable_path
from maasmix.geodesy import haversine_m
from maasmix.servicetime import parse_clock

__all__ = [
    "DIARY_COLUMNS",
    "MAX_DIARY_BYTES",
    "MODES",
    "TRIP_COLUMNS",
    "Diary",
    "DiaryColumn",
    "diary_from_frame",
    "read_diary",
]

MAX_DIARY_BYTES: int = 512 << 20
"""Largest diary file read, bytes (512 MiB, some 5 million trips; for ``.csv.gz`` the
uncompressed size, checked while it is inflated, as is its compression ratio against the
feed limit ``max_compression_ratio``)."""

MAX_SEGMENT_CHARS: int = 80
"""Longest segment name, characters."""

MAX_TRIPS_PER_MONTH: float = 1000.0
"""Largest ``trips_per_month`` of one row."""

MIN_TRIP_M: float = 1.0
"""Origin and destination closer than this (metres) are an error."""

MODES: tuple[str, ...] = (
    "walk",
    "bicycle",
    "transit",
    "car",
    "taxi",
    "bicycle_rental",
    "scooter_rental",
    "moped_rental",
    "other",
)
"""Vocabulary of ``mode_today`` (how the person travels today)."""


@dataclass(frozen=True)
class DiaryColumn:
    """One input column of a trip diary.

    Attributes
    ----------
    name : str
        Header name.
    required : bool
        Must be present (the two time columns: at least one of them, see the docstring).
    dtype : str
        ``"str"``, ``"float"`` or ``"clock"`` (``HH:MM[:SS]``).
    unit : str
        Unit or vocabulary of the value (``""`` when none).
    description : str
        What it means and what is checked.
    """

    name: str
    required: bool
    dtype: str
    unit: str
    description: str


DIARY_COLUMNS: tuple[DiaryColumn, ...] = (
    DiaryColumn("person_id", True, "str", "", "who makes the trip; non-empty"),
    DiaryColumn("segment", True, "str", "", "traveller segment; 1..80 characters"),
    DiaryColumn(
        "weight", True, "float", "people", "people this person stands for; > 0, one per person"
    ),
    DiaryColumn("origin_lat", True, "float", "degrees", "WGS84 latitude, -90..90"),
    DiaryColumn("origin_lon", True, "float", "degrees", "WGS84 longitude, -180..180"),
    DiaryColumn("destination_lat", True, "float", "degrees", "WGS84 latitude, -90..90"),
    DiaryColumn("destination_lon", True, "float", "degrees", "WGS84 longitude, -180..180"),
    DiaryColumn("trips_per_month", True, "float", "trips/month", "how often; > 0, <= 1000"),
    DiaryColumn(
        "departure_time", False, "clock", "HH:MM[:SS]", "leave at; exactly one time per row"
    ),
    DiaryColumn(
        "arrival_time", False, "clock", "HH:MM[:SS]", "arrive by; exactly one time per row"
    ),
    DiaryColumn("trip_id", False, "str", "", "unique; blank: person_id-n"),
    DiaryColumn("mode_today", False, "str", "MODES", "today's mode; blank: unknown"),
    DiaryColumn("rider_category", False, "str", "", "fare rider category; blank: none"),
)
"""The input columns (see the module docstring for the rules between them)."""

TRIP_COLUMNS: tuple[str, ...] = (
    "row",
    "trip_id",
    "person_id",
    "segment",
    "weight",
    "origin_lat",
    "origin_lon",
    "destination_lat",
    "destination_lon",
    "time_s",
    "arrive_by",
    "trips_per_month",
    "mode_today",
    "rider_category",
)
"""Columns of `Diary.trips`, in order."""

_KNOWN: tuple[str, ...] = tuple(c.name for c in DIARY_COLUMNS)
_REQUIRED: tuple[str, ...] = tuple(c.name for c in DIARY_COLUMNS if c.required)
_TIMES: tuple[str, str] = ("departure_time", "arrival_time")
_CLOCK_TEXT = re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?")
_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_READ_CHUNK = 1 << 24
_GZIP_PIECE = 1 << 20


def _columns_table() -> str:
    rows = [
        (f"``{c.name}``", "yes" if c.required else "no", c.dtype, c.unit or "-", c.description)
        for c in DIARY_COLUMNS
    ]
    head = ("column", "required", "type", "unit", "meaning")
    widths = [max(len(r[k]) for r in [*rows, head]) for k in range(len(head))]
    rule = "  ".join("=" * w for w in widths)

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([rule, line(head), rule, *(line(r) for r in rows), rule])


__doc__ = (__doc__ or "").format(
    columns=_columns_table(), modes=", ".join(f"``{m}``" for m in MODES)
)


@dataclass(frozen=True, eq=False)
class Diary:
    """A validated trip diary.

    Attributes
    ----------
    path : str
        The file as given to `read_diary` (or the ``name`` given to `diary_from_frame`).
    trips : DataFrame
        One row per trip, columns `TRIP_COLUMNS` (see the module docstring).
    sha256 : str
        Hex SHA-256 of the file's bytes (of a frame: of its ``to_csv(index=False)``).
    """

    path: str
    trips: pd.DataFrame
    sha256: str

    @property
    def segments(self) -> tuple[str, ...]:
        """Segment names, sorted, each once."""
        return tuple(sorted(pd.unique(self.trips["segment"]).tolist()))

    def __len__(self) -> int:
        """Number of trips."""
        return len(self.trips)


# --- reading -----------------------------------------------------------------------


def read_diary(path: str | Path, *, max_rows: int = 5_000_000) -> Diary:
    """Read and validate a trip diary (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``).

    Parameters
    ----------
    path : str or Path
        The file; its suffix selects the format.
    max_rows : int
        Diaries with more data rows are refused before their values are parsed.

    Returns
    -------
    Diary
        ``trips`` with the columns of the module docstring.

    Raises
    ------
    DiaryError
        No such file, an unknown suffix, too large, not UTF-8, not valid CSV or Parquet,
        a missing column, a bad value (naming file, row and column), no rows.
    """
    file = str(path)
    p = Path(path)
    lower = p.name.lower()
    if not lower.endswith(_CSV_SUFFIXES + _PARQUET_SUFFIXES):
        raise DiaryError(
            "unknown diary format: the name must end in .csv, .csv.gz, .parquet or .pq",
            file=file,
        )
    try:
        p = usable_path(p)
    except FeedError as exc:  # a NUL or an over-long name
        raise DiaryError(exc.message, file=file[:200]) from None
    if not p.is_file():
        raise DiaryError("no such file", file=file)
    size = p.stat().st_size
    if size > MAX_DIARY_BYTES:
        raise DiaryError(
            f"file is {size} bytes, more than the limit of {MAX_DIARY_BYTES} (MAX_DIARY_BYTES)",
            file=file,
        )
    parquet = lower.endswith(_PARQUET_SUFFIXES)
    if parquet:
        raw, rows = _read_parquet(file, p, max_rows)
        digest = _file_sha256(p)
    else:
        if lower.endswith(".gz"):
            data = _gunzip(file, p)
            digest = _file_sha256(p)
        else:
            data = p.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
        raw, rows = _read_csv(file, data, max_rows)
    trips = _validate(file, raw, rows, clean=not parquet)
    return Diary(path=file, trips=trips, sha256=digest)


def diary_from_frame(frame: pd.DataFrame, *, name: str = "<frame>") -> Diary:
    """Validate a trip diary held in memory (the checks of `read_diary`).

    Parameters
    ----------
    frame : DataFrame
        The input columns of the module docstring (strings or numbers).
    name : str
        Stands for the file in errors and in `Diary.path`.

    Returns
    -------
    Diary
        Rows are numbered ``position + 1``; ``sha256`` is that of
        ``frame.to_csv(index=False)`` encoded as UTF-8.
    """
    digest = _frame_sha256(frame)
    if frame.columns.duplicated().any():
        dup = str(frame.columns[frame.columns.duplicated()][0])
        raise DiaryError(f"duplicate column name {dup!r}", file=name, row=1, field=dup)
    raw = frame.reset_index(drop=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    rows = np.arange(1, len(raw) + 1, dtype=np.int64)
    if len(raw) == 0:
        raise DiaryError("diary has no trips", file=name)
    return Diary(path=name, trips=_validate(name, raw, rows), sha256=digest)


def _frame_sha256(frame: pd.DataFrame, chunk_rows: int = 100_000) -> str:
    """SHA-256 of ``frame.to_csv(index=False)`` as UTF-8, serialised chunk by chunk."""
    digest = hashlib.sha256()
    for start in range(0, max(len(frame), 1), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        digest.update(part.to_csv(index=False, header=start == 0).encode("utf-8"))
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _gunzip(file: str, path: Path) -> bytes:
    """The uncompressed bytes of a ``.csv.gz``, inflated piece by piece: at most
    `MAX_DIARY_BYTES`, and (beyond ``ratio_floor_bytes``) at most
    ``max_compression_ratio`` times the compressed size (`maasmix.feeds.limits`), so a
    bomb is refused after a few MiB, never inflated whole."""
    limits = feed_limits.current()
    compressed = max(path.stat().st_size, 1)
    cap = min(MAX_DIARY_BYTES, limits.max_member_bytes)
    out = bytearray()
    try:
        with gzip.open(path, "rb") as fh:
            while piece := fh.read(_GZIP_PIECE):
                out += piece
                if len(out) > cap:
                    raise DiaryError(
                        f"uncompressed diary is more than {cap} bytes (MAX_DIARY_BYTES, "
                        "feed limit max_member_bytes)",
                        file=file,
                    )
                ratio = len(out) / compressed
                if len(out) > limits.ratio_floor_bytes and ratio > limits.max_compression_ratio:
                    raise DiaryError(
                        f"compressed more than {ratio:.0f}:1, beyond "
                        f"{limits.max_compression_ratio:g}:1 (feed limit max_compression_ratio)",
                        file=file,
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise DiaryError(f"not a valid gzip file: {exc}", file=file) from None
    return bytes(out)


def _as_diary_error(exc: FeedFormatError, file: str) -> DiaryError:
    return DiaryError(exc.message, file=file, row=exc.row, field=exc.field)


def _read_csv(file: str, data: bytes, max_rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        scan = scan_csv(file, data)
    except FeedFormatError as exc:
        raise _as_diary_error(exc, file) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise DiaryError(
            f"not UTF-8 text (byte {exc.start} is {data[exc.start : exc.start + 1]!r}); "
            "save the diary as UTF-8",
            file=file,
            row=line,
        ) from None
    if scan.rows > max_rows:
        raise DiaryError(f"diary has {scan.rows} rows, more than max_rows={max_rows}", file=file)
    if scan.records - 1 > 2 * max_rows + 1000:
        raise DiaryError(
            f"diary has {scan.records - 1} lines after its header, {scan.records - 1 - scan.rows} "
            f"of them blank: more than twice max_rows={max_rows}",
            file=file,
        )
    try:
        table = read_csv_table(file, data)
    except FeedFormatError as exc:
        raise _as_diary_error(exc, file) from None
    if not table.has_header:
        raise DiaryError("empty file: no header and no trips", file=file, row=1)
    if len(table.frame) == 0:
        raise DiaryError("diary has a header but no trips", file=file, row=2)
    return table.frame, np.asarray(table.lines, dtype=np.int64)


def _read_parquet(file: str, path: Path, max_rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    problem = parquet_problem(
        path, max_rows=max_rows, max_text_bytes=MAX_DIARY_BYTES, text_limit="MAX_DIARY_BYTES"
    )
    if problem is not None:
        raise DiaryError(problem, file=file)
    try:
        pf = pq.ParquetFile(path)
        n = int(pf.metadata.num_rows)
        names = [str(name) for name in pf.schema_arrow.names]
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DiaryError(f"not a readable Parquet file: {exc}", file=file) from None
    if n > max_rows:
        raise DiaryError(f"diary has {n} rows, more than max_rows={max_rows}", file=file)
    stripped = [name.strip() for name in names]
    seen: set[str] = set()
    for name in stripped:
        if name in seen:
            raise DiaryError(f"duplicate column name {name!r}", file=file, row=1, field=name)
        seen.add(name)
    _warn_unknown(file, stripped)
    wanted = [orig for orig, name in zip(names, stripped, strict=True) if name in _KNOWN]
    if n == 0:
        raise DiaryError("diary has no trips", file=file)
    try:
        table = pf.read(columns=wanted)
        raw = table.to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DiaryError(f"not a readable Parquet file: {exc}", file=file) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw.reset_index(drop=True), np.arange(1, len(raw) + 1, dtype=np.int64)


# --- validation --------------------------------------------------------------------


def _warn_unknown(file: str, columns: Iterable[str]) -> None:
    unknown = [c for c in columns if c not in _KNOWN]
    if not unknown:
        return
    described = []
    for name in unknown:
        close = difflib.get_close_matches(name, _KNOWN, n=1, cutoff=0.75)
        described.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    warnings.warn(
        f"{file}: ignored unknown column(s) {', '.join(described)}; "
        f"known columns are {', '.join(_KNOWN)}",
        FeedWarning,
        stacklevel=4,
    )


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _text(series: pd.Series) -> pd.Series:
    """Values as stripped ``str``; missing (None, NaN) as ``""`` (each distinct value is
    stripped once)."""
    if is_numeric_dtype(series.dtype) and not is_bool_dtype(series.dtype):
        values = series.astype(object).where(series.notna(), "")
    else:
        values = series.where(series.notna(), "")
    out = values.astype(str).astype(object)
    codes, uniques = pd.factorize(out)
    distinct = np.asarray(uniques, dtype=object)
    stripped = np.array([v.strip() for v in distinct], dtype=object)
    if len(distinct) and not (stripped == distinct).all():
        out = pd.Series(stripped[codes], index=out.index, dtype=object)
    return out


class _Checker:
    """The validation state of one diary: its name, row numbers and raw columns."""

    def __init__(self, file: str, raw: pd.DataFrame, rows: np.ndarray, clean: bool) -> None:
        self.file = file
        self.raw = raw
        self.rows = rows
        self.clean = clean

    def fail(self, message: str, mask: npt.NDArray[np.bool_], field: str) -> None:
        if mask.any():
            i = _first(mask)
            raise DiaryError(message, file=self.file, row=int(self.rows[i]), field=field)

    def text(self, name: str) -> pd.Series:
        if name not in self.raw.columns:
            return pd.Series([""] * len(self.raw), dtype=object)
        return self.raw[name] if self.clean else _text(self.raw[name])

    def required_text(self, name: str) -> pd.Series:
        values = self.text(name)
        self.fail("missing value", (values == "").to_numpy(), name)
        return values

    def floats(self, name: str) -> npt.NDArray[np.float64]:
        series = self.raw[name]
        if is_bool_dtype(series.dtype):
            self.fail("not a number: a boolean", np.ones(len(series), dtype=bool), name)
        if is_numeric_dtype(series.dtype):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            self.fail("missing value", np.isnan(values), name)
        else:
            text = series if self.clean else _text(series)
            self.fail("missing value", (text == "").to_numpy(), name)
            try:
                values = text.to_numpy(dtype=object).astype(np.float64)
            except (ValueError, TypeError):
                bad = {v for v in pd.unique(text) if not _is_float(v)}
                mask = text.isin(bad).to_numpy()
                value = text.iloc[_first(mask)]
                self.fail(f"not a number: {_shorten(value)!r}", mask, name)
                raise  # unreachable: some value failed to convert
        self.fail("must be a finite number", ~np.isfinite(values), name)
        return values

    def in_range(self, name: str, values: npt.NDArray[np.float64], lo: float, hi: float) -> None:
        bad = (values < lo) | (values > hi)
        if bad.any():
            value = float(values[_first(bad)])
            self.fail(f"{value:g} is outside {lo:g} .. {hi:g}", bad, name)


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _shorten(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validate(
    file: str, raw: pd.DataFrame, rows: np.ndarray, *, clean: bool = False
) -> pd.DataFrame:
    """The checks of the module docstring on ``raw`` (one row per trip); the trips table.

    ``clean``: every value of ``raw`` is already a stripped ``str`` (a `read_csv_table`
    frame), so text columns are taken as they are.
    """
    columns = [str(c) for c in raw.columns]
    _warn_unknown(file, columns)
    for name in _REQUIRED:
        if name not in columns:
            raise DiaryError(_missing_message(name, columns), file=file, row=1, field=name)
    if not any(t in columns for t in _TIMES):
        raise DiaryError(
            "missing column: a diary needs departure_time or arrival_time (or both columns, "
            "one filled per row)" + _hint("departure_time", columns),
            file=file,
            row=1,
            field="departure_time",
        )
    check = _Checker(file, raw, rows, clean)
    n = len(raw)

    person = check.required_text("person_id")
    segment = check.required_text("segment")
    check.fail(
        f"segment name longer than {MAX_SEGMENT_CHARS} characters",
        (segment.str.len() > MAX_SEGMENT_CHARS).to_numpy(),
        "segment",
    )

    weight = check.floats("weight")
    check.fail("weight must be > 0", ~(weight > 0), "weight")
    person_codes = pd.factorize(person)[0]
    first_weight = pd.Series(weight).groupby(person_codes, sort=False).transform("first")
    differs = first_weight.to_numpy(dtype=np.float64) != weight
    if differs.any():
        i = _first(differs)
        first_row = int(rows[_first((person == person.iloc[i]).to_numpy())])
        check.fail(
            f"weight {float(weight[i]):g} of person {person.iloc[i]!r} differs from "
            f"{float(first_weight.iloc[i]):g} on row {first_row} (one weight per person)",
            differs,
            "weight",
        )

    coords: dict[str, npt.NDArray[np.float64]] = {}
    for name in ("origin_lat", "origin_lon", "destination_lat", "destination_lon"):
        values = check.floats(name)
        limit = 90.0 if name.endswith("_lat") else 180.0
        check.in_range(name, values, -limit, limit)
        coords[name] = values
    apart = haversine_m(
        coords["origin_lat"],
        coords["origin_lon"],
        coords["destination_lat"],
        coords["destination_lon"],
    )
    check.fail(
        f"origin and destination are the same place (less than {MIN_TRIP_M:g} m apart)",
        apart < MIN_TRIP_M,
        "destination_lat",
    )

    per_month = check.floats("trips_per_month")
    check.fail("trips_per_month must be > 0", ~(per_month > 0), "trips_per_month")
    check.fail(
        f"trips_per_month must be <= {MAX_TRIPS_PER_MONTH:g}",
        per_month > MAX_TRIPS_PER_MONTH,
        "trips_per_month",
    )

    time_s, arrive_by = _times(check)

    trip_given = check.text("trip_id")
    ordinal = pd.Series(np.ones(n, dtype=np.int64)).groupby(person_codes).cumsum()
    default_id = person + "-" + ordinal.astype(str)
    trip_id = trip_given.where(trip_given != "", default_id)
    dup = trip_id.duplicated(keep="first").to_numpy()
    if dup.any():
        i = _first(dup)
        first_row = int(rows[_first((trip_id == trip_id.iloc[i]).to_numpy())])
        check.fail(
            f"duplicate trip_id {_shorten(trip_id.iloc[i])!r} (first on row {first_row})",
            dup,
            "trip_id",
        )

    mode = check.text("mode_today")
    check.fail(
        f"unknown mode_today (known: {', '.join(MODES)})",
        ~(mode.isin(MODES) | (mode == "")).to_numpy(),
        "mode_today",
    )
    category = check.text("rider_category")
    rider = category.astype(object).where(category != "", None)

    trips = pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=np.int64),
            "trip_id": trip_id.to_numpy(dtype=object),
            "person_id": person.to_numpy(dtype=object),
            "segment": segment.to_numpy(dtype=object),
            "weight": weight,
            "origin_lat": coords["origin_lat"],
            "origin_lon": coords["origin_lon"],
            "destination_lat": coords["destination_lat"],
            "destination_lon": coords["destination_lon"],
            "time_s": time_s,
            "arrive_by": arrive_by,
            "trips_per_month": per_month,
            "mode_today": mode.to_numpy(dtype=object),
            "rider_category": rider.to_numpy(dtype=object),
        },
        columns=list(TRIP_COLUMNS),
    )
    return trips


def _hint(name: str, columns: Iterable[str]) -> str:
    unknown = [c for c in columns if c not in _KNOWN]
    close = difflib.get_close_matches(name, unknown, n=1, cutoff=0.75)
    return f" (found {close[0]!r}: a misspelling?)" if close else ""


def _missing_message(name: str, columns: list[str]) -> str:
    return f"missing required column {name!r}" + _hint(name, columns)


def _times(check: _Checker) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """Seconds after midnight and arrive-by flags from departure_time / arrival_time."""
    departure = check.text("departure_time")
    arrival = check.text("arrival_time")
    has_dep = (departure != "").to_numpy()
    has_arr = (arrival != "").to_numpy()
    check.fail(
        "both departure_time and arrival_time are filled; give exactly one",
        has_dep & has_arr,
        "arrival_time",
    )
    check.fail(
        "neither departure_time nor arrival_time is filled; give exactly one",
        ~(has_dep | has_arr),
        "departure_time",
    )
    clock = departure.where(has_dep, arrival)
    seconds: dict[str, int] = {}
    bad: dict[str, str] = {}
    for value in pd.unique(clock):
        text = str(value)
        if not _CLOCK_TEXT.fullmatch(text):
            bad[text] = f"not a time (HH:MM[:SS]): {_shorten(text)!r}"
            continue
        try:
            seconds[text] = parse_clock(text)
        except QueryError as exc:
            bad[text] = exc.message
    if bad:
        mask = clock.isin(list(bad)).to_numpy()
        i = _first(mask)
        field = "departure_time" if has_dep[i] else "arrival_time"
        check.fail(bad[str(clock.iloc[i])], mask, field)
    time_s = clock.map(seconds).to_numpy(dtype=np.int32)
    return time_s, has_arr.copy()
