"""Reading one GTFS CSV file into a DataFrame of strings, with line numbers and quirk repair.

`read_csv_table(name, data)` decodes the bytes of one file and returns a `CsvTable`:
every column as ``str`` (blank cells are ``""``, never NaN) plus, for every data row,
its line number in the file (header = line 1, first data row = line 2; a quoted value
spanning several lines and blank lines are counted, so the number is the one an editor
shows).

Repaired quirks, each reported once per file with a `FeedWarning` naming the repair:

- a UTF-8 byte order mark (removed); UTF-16 text with its byte order mark (decoded);
- text that is not UTF-8 (decoded as cp1252, or latin-1 when that fails too);
- old-Mac ``\\r`` line ends or a mix of ``\\r\\n`` and ``\\n`` in one file (normalised;
  uniform ``\\r\\n`` is valid CSV and GTFS and is read silently);
- spaces around header names and around values (stripped);
- trailing columns with an empty header name and no values, or empty extra fields at
  the end of data rows (dropped);
- blank lines (skipped).

Anything else that is not valid CSV raises `FeedFormatError` with the line number.

Bounds (`maasmix.feeds.limits`): before anything is decoded or split, one pass over the
bytes (`scan_csv`, a numba state machine that counts fields and lines and keeps no
value) checks the length of every physical line, the width of the header and that no
row has more fields than the header plus ``extra_fields_margin``; a violation is a
`FeedFormatError` naming the file and line, found without materialising the row. The
table's cells (records, blank ones included, times the header's width) are then bounded
by ``max_cells_per_byte`` of the file's size, so blank lines under a wide header cannot
multiply a few bytes into gigabytes.
`count_csv_rows` counts the data rows of a stream the same way (``shapes.txt`` in a
feed's summary), in bounded memory.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from maasmix.errors import FeedFormatError, FeedWarning
from maasmix.feeds import limits as feed_limits

_EDGE_SPACES = (" ,", ", ", "\t,", ",\t", " \n", "\n ", "\t\n", "\n\t", " \r", "\t\r")


def _may_have_edge_spaces(text: str) -> bool:
    """Cheap pre-check (substring scans) for a value starting or ending with a blank."""
    if " " not in text and "\t" not in text:
        return False
    return (
        text.startswith((" ", "\t"))
        or text.endswith((" ", "\t"))
        or any(pair in text for pair in _EDGE_SPACES)
    )


@dataclass(frozen=True)
class CsvTable:
    """One CSV file read as strings.

    Attributes
    ----------
    frame : DataFrame
        One column per header name (stripped), all values ``str``; blank is ``""``.
    lines : ndarray of int64
        Line number in the file of each row of ``frame`` (header = 1).
    has_header : bool
        False when the file was empty (zero bytes or only whitespace).
    """

    frame: pd.DataFrame
    lines: np.ndarray
    has_header: bool


def _warn(file: str, message: str) -> None:
    warnings.warn(f"{file}: {message}", FeedWarning, stacklevel=4)


def _decode(file: str, data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")  # the BOM says which byte order
        except UnicodeDecodeError as exc:
            raise FeedFormatError(
                f"starts with a UTF-16 byte order mark but is not UTF-16 text ({exc.reason})",
                file=file,
            ) from None
        _warn(file, "decoded UTF-16 text (it starts with a UTF-16 byte order mark)")
        return text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        _warn(file, "removed a UTF-8 byte order mark (BOM) at the start of the file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        try:
            text = data.decode("cp1252")
            codec = "cp1252"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            codec = "latin-1"
        _warn(file, f"not valid UTF-8 (first bad byte on line {line}); decoded as {codec}")
        return text


def _normalise_line_ends(file: str, text: str) -> str:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    if cr == 0 and (crlf == 0 or lf == 0):
        return text
    if cr and not crlf and not lf:
        _warn(file, "converted old-Mac CR line ends to LF")
    else:
        _warn(file, "normalised mixed line ends (CRLF / LF / CR) to LF")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header(file: str, text: str) -> tuple[list[str], int]:
    """Header names (stripped) and the offset where data starts."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    first = first.rstrip("\r")
    names = next(csv.reader([first]))
    stripped = [n.strip() for n in names]
    if stripped != names:
        spaced = [n for n, s in zip(names, stripped, strict=True) if n != s]
        _warn(file, f"stripped spaces around header names {spaced!r}")
    return stripped, (len(text) if end < 0 else end + 1)


def _physical_lines_of_bad_records(text: str, width: int) -> list[tuple[int, list[str]]]:
    """(line, fields) of each record whose field count is not ``width`` (slow path)."""
    bad: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text))
    start = 1
    for fields in reader:
        if fields and len(fields) != width:
            bad.append((start, fields))
        start = reader.line_num + 1
    return bad


def _line_of_record(text: str, index: int) -> int | None:
    """Physical line (1-based within ``text``) where record ``index`` (0-based) starts."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    try:
        for i, _fields in enumerate(reader):
            if i == index:
                return start
            start = reader.line_num + 1
    except csv.Error:
        return start if index >= 0 else None
    return start


def _parse(file: str, body: str, names: list[str], n_header_lines: int) -> pd.DataFrame:
    def read(columns: list[str]) -> pd.DataFrame:
        with warnings.catch_warnings():
            # A row longer than the header is a ParserWarning (data silently lost): raise it.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.StringIO(body),
                header=None,
                names=columns,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                index_col=False,
                quoting=csv.QUOTE_MINIMAL,
                engine="c",
            )

    try:
        return read(names)
    except pd.errors.EmptyDataError:
        return pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        bad = _physical_lines_of_bad_records(body, len(names))
        longer = [(line, f) for line, f in bad if len(f) > len(names)]
        if not longer:
            found = re.search(r"row (\d+)", str(exc))
            row = None
            if found:
                row = _line_of_record(body, int(found.group(1)))
                row = None if row is None else row + n_header_lines
            raise FeedFormatError(f"not valid CSV: {exc}", file=file, row=row) from exc
        junk = [f[len(names) :] for _, f in longer]
        if any(v.strip() for extra in junk for v in extra):
            line, fields = next(
                (line, f) for line, f in longer if any(v.strip() for v in f[len(names) :])
            )
            raise FeedFormatError(
                f"row has {len(fields)} fields but the header names {len(names)}",
                file=file,
                row=line + n_header_lines,
            ) from exc
        width = max(len(f) for _, f in longer)
        extra_names = [f"\x00extra{i}" for i in range(width - len(names))]
        frame = read(names + extra_names)
        _warn(
            file,
            f"dropped empty extra fields at the end of {len(longer)} row(s) "
            f"(first on line {longer[0][0] + n_header_lines})",
        )
        return frame.drop(columns=extra_names)


# --- bounded pre-scan --------------------------------------------------------------
# The state of `_scan_kernel`, one int64 slot each (kept between chunks of one file).
_MODE, _LINE, _LINE_LEN, _REC_LINE, _REC_FIELDS, _REC_CONTENT = 0, 1, 2, 3, 4, 5
_RECORDS, _ROWS, _WIDTH, _AFTER_CR, _BAD, _BAD_LINE, _BAD_VALUE = 6, 7, 8, 9, 10, 11, 12
_STATE_SIZE = 13
# Modes of the tokenizer (as pandas' C parser and the csv module read QUOTE_MINIMAL).
_START, _IN_FIELD, _IN_QUOTES, _QUOTE_IN_QUOTES = 0, 1, 2, 3
# Violations.
_OK, _LONG_LINE, _WIDE_HEADER, _WIDE_ROW = 0, 1, 2, 3


@njit(cache=True)
def _scan_kernel(
    data: np.ndarray, state: np.ndarray, max_line: int, max_columns: int, margin: int
) -> None:
    """Advance ``state`` over the bytes ``data`` (``data`` empty: end of file); stop at
    the first violation, recorded in ``state[_BAD:]``."""
    mode, line, line_len = state[_MODE], state[_LINE], state[_LINE_LEN]
    rec_line, fields, content = state[_REC_LINE], state[_REC_FIELDS], state[_REC_CONTENT]
    records, rows, width, after_cr = state[_RECORDS], state[_ROWS], state[_WIDTH], state[_AFTER_CR]
    bad, bad_line, bad_value = 0, 0, 0
    n = data.shape[0]
    i = 0
    while i <= n:
        if i == n:
            if n > 0 or not (mode != _START or fields > 0 or line_len > 0):
                break
            c = 10  # end of file: close the last record as a line end would
            after_cr = 0
        else:
            c = data[i]
        i += 1
        if c == 10 and after_cr:  # the LF of a CRLF: the CR ended the line (and record)
            after_cr = 0
            continue
        after_cr = 0
        if c == 10 or c == 13:
            if i <= n:
                line += 1
            line_len = 0
            if c == 13:
                after_cr = 1
            if mode == _IN_QUOTES:
                content = 1
                continue
            total = fields + 1
            if records == 0:
                width = total
                if total > max_columns:
                    bad, bad_line, bad_value = _WIDE_HEADER, rec_line, total
                    break
            else:
                if total > width + margin:
                    bad, bad_line, bad_value = _WIDE_ROW, rec_line, total
                    break
                if content:
                    rows += 1
            records += 1
            fields = 0
            content = 0
            mode = _START
            rec_line = line
            continue
        line_len += 1
        if line_len > max_line:
            bad, bad_line, bad_value = _LONG_LINE, line, line_len
            break
        if mode == _IN_QUOTES:
            if c == 34:
                mode = _QUOTE_IN_QUOTES
            else:
                content = 1
        elif c == 44:
            fields += 1
            limit = max_columns if records == 0 else width + margin
            if fields + 1 > limit:  # stop as soon as the record is too wide
                bad = _WIDE_HEADER if records == 0 else _WIDE_ROW
                bad_line, bad_value = rec_line, fields + 1
                break
            mode = _START
        elif mode == _START:
            if c == 34:
                mode = _IN_QUOTES
            else:
                mode = _IN_FIELD
                content = 1
        elif mode == _QUOTE_IN_QUOTES:
            content = 1
            mode = _IN_QUOTES if c == 34 else _IN_FIELD
        else:  # _IN_FIELD: a quote inside an unquoted value is literal
            content = 1
    state[_MODE], state[_LINE], state[_LINE_LEN] = mode, line, line_len
    state[_REC_LINE], state[_REC_FIELDS], state[_REC_CONTENT] = rec_line, fields, content
    state[_RECORDS], state[_ROWS], state[_WIDTH], state[_AFTER_CR] = records, rows, width, after_cr
    state[_BAD], state[_BAD_LINE], state[_BAD_VALUE] = bad, bad_line, bad_value


_CHUNK = 1 << 20


class CsvScan:
    """Fields and lines of one CSV file, counted chunk by chunk (no value is kept).

    ``feed(chunk)`` as many times as needed, then ``finish()``; a violation of the
    limits raises `FeedFormatError` naming ``file`` and the line. ``rows`` is the
    number of data rows that are not blank, ``width`` the header's field count.
    """

    def __init__(self, file: str, limits: feed_limits.FeedLimits | None = None) -> None:
        self.file = file
        self.limits = limits or feed_limits.current()
        self._state = np.zeros(_STATE_SIZE, dtype=np.int64)
        self._state[_LINE] = 1
        self._state[_REC_LINE] = 1

    def feed(self, chunk: bytes | memoryview) -> None:
        """Scan the next bytes of the file."""
        view = memoryview(chunk)
        for start in range(0, len(view), _CHUNK):
            part = np.frombuffer(view[start : start + _CHUNK], dtype=np.uint8)
            if not part.size:
                continue
            limits = self.limits
            _scan_kernel(
                part,
                self._state,
                int(limits.max_line_bytes),
                int(limits.max_columns),
                int(limits.extra_fields_margin),
            )
            self._check()

    def finish(self) -> CsvScan:
        """End of file: a last record without a line end is counted; returns ``self``."""
        limits = self.limits
        _scan_kernel(
            np.zeros(0, dtype=np.uint8),
            self._state,
            int(limits.max_line_bytes),
            int(limits.max_columns),
            int(limits.extra_fields_margin),
        )
        self._check()
        return self

    @property
    def rows(self) -> int:
        """Data rows with at least one non-empty value (blank lines are not rows)."""
        return int(self._state[_ROWS])

    @property
    def records(self) -> int:
        """Records read so far, the header and blank lines included."""
        return int(self._state[_RECORDS])

    @property
    def width(self) -> int:
        """Fields in the header (0 before the header has ended)."""
        return int(self._state[_WIDTH])

    def _check(self) -> None:
        state = self._state
        bad = int(state[_BAD])
        if bad == _OK:
            return
        line, value, limits = int(state[_BAD_LINE]), int(state[_BAD_VALUE]), self.limits
        if bad == _LONG_LINE:
            message = (
                f"line is longer than {limits.max_line_bytes} bytes (feed limit max_line_bytes)"
            )
        elif bad == _WIDE_HEADER:
            message = (
                f"header names more than {limits.max_columns} columns (feed limit max_columns)"
            )
        else:
            message = (
                f"row has more than {value - 1} fields but the header names {self.width} "
                f"(at most {limits.extra_fields_margin} empty extra fields are repaired; "
                "feed limit extra_fields_margin)"
            )
        raise FeedFormatError(message, file=self.file, row=line)


def scan_csv(file: str, data: bytes | memoryview) -> CsvScan:
    """Check the bytes of one whole CSV file against the limits (see `CsvScan`)."""
    scan = CsvScan(file)
    scan.feed(data)
    return scan.finish()


def count_csv_rows(file: str, chunks: Iterable[bytes]) -> int:
    """Data rows (not blank) of a CSV file read as a stream of chunks, bounded memory."""
    scan = CsvScan(file)
    for chunk in chunks:
        scan.feed(chunk)
    return scan.finish().rows


def _check_cells(file: str, scan: CsvScan, size: int) -> None:
    """Refuse a table that would take far more cells than its bytes can fill: every
    record (blank lines too) is laid out with the header's width, so a header of many
    columns over millions of blank or one-value lines is a memory bomb of few bytes."""
    limits = scan.limits
    cells = scan.records * max(scan.width, 1)
    if cells > limits.cells_floor and cells > limits.max_cells_per_byte * size:
        blank = scan.records - 1 - scan.rows
        raise FeedFormatError(
            f"{scan.records - 1} records of {scan.width} columns ({blank} of them blank) in "
            f"{size} bytes: more than {limits.max_cells_per_byte:g} cells per byte "
            "(feed limit max_cells_per_byte); blank lines or rows far shorter than the header",
            file=file,
        )


def read_csv_table(file: str, data: bytes) -> CsvTable:
    """Read one CSV file (``file`` is its name, for messages) into a `CsvTable`.

    Raises
    ------
    FeedFormatError
        Unbalanced quotes, a row with more non-empty fields than the header,
        duplicate header names; a line, header or row beyond the feed limits.
    """
    _check_cells(file, scan_csv(file, data), len(data))
    text = _decode(file, data)
    text = _normalise_line_ends(file, text)
    if not text.strip():
        return CsvTable(pd.DataFrame(), np.zeros(0, dtype=np.int64), has_header=False)
    names, start = _header(file, text)
    body = text[start:]

    empty_named = [i for i, n in enumerate(names) if n == ""]
    seen: dict[str, int] = {}
    for name in names:
        if name:
            seen[name] = seen.get(name, 0) + 1
    dups = sorted(n for n, k in seen.items() if k > 1)
    if dups:
        raise FeedFormatError(f"duplicate column name(s) {dups}", file=file, row=1, field=dups[0])
    parse_names = [n if n else f"\x00blank{i}" for i, n in enumerate(names)]
    frame = _parse(file, body, parse_names, 1)

    # Line numbers: header is line 1; a record's number is 2 + its record index plus the
    # newlines embedded in quoted values of earlier records.
    n = len(frame)
    physical = body.count("\n") + (0 if body.endswith("\n") or not body else 1)
    if n and physical != n:
        embedded = np.zeros(n, dtype=np.int64)
        for col in frame.columns:
            values = frame[col]
            if values.str.contains("\n", regex=False).any():
                embedded += values.str.count("\n").to_numpy(dtype=np.int64)
        lines = 2 + np.arange(n, dtype=np.int64) + np.concatenate(([0], np.cumsum(embedded)[:-1]))
    else:
        lines = 2 + np.arange(n, dtype=np.int64)

    # Blank lines come through as all-empty single-field records: drop them.
    if n:
        first = frame.iloc[:, 0].to_numpy()
        blank = first == ""
        if blank.any():
            for col in frame.columns[1:]:
                blank &= frame[col].to_numpy() == ""
                if not blank.any():
                    break
        if blank.any():
            keep = ~blank
            frame = frame.loc[keep].reset_index(drop=True)
            lines = lines[keep]

    if empty_named:
        blank_cols = [parse_names[i] for i in empty_named]
        filled = [c for c in blank_cols if (frame[c] != "").any()]
        if filled:
            col_no = parse_names.index(filled[0]) + 1
            raise FeedFormatError(
                f"column {col_no} has values but no header name", file=file, row=1
            )
        frame = frame.drop(columns=blank_cols)
        _warn(file, f"dropped {len(blank_cols)} trailing column(s) with no header name")

    if _may_have_edge_spaces(body):
        spaced_cols = []
        for col in frame.columns:
            values = frame[col]
            stripped = values.str.strip()
            if not stripped.equals(values):
                spaced_cols.append(col)
                frame[col] = stripped
        if spaced_cols:
            _warn(file, f"stripped spaces around values in column(s) {spaced_cols}")

    return CsvTable(frame, lines, has_header=True)
