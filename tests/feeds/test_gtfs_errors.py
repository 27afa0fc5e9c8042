"""Bad GTFS input made from a copy of the real Caltrain feed: errors name file, line, field."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from maasmix.feeds import FeedError, FeedFormatError, FeedMissingError, FeedWarning
from maasmix.feeds.gtfs import load_gtfs

Rows = list[list[str]]


@pytest.fixture()
def caltrain(tmp_path: Path, dataset: Callable[..., Path]) -> Path:
    """gtfs-bay-area/caltrain.zip unzipped into tmp_path/caltrain."""
    folder = tmp_path / "caltrain"
    with zipfile.ZipFile(dataset("gtfs-bay-area", "caltrain.zip")) as archive:
        archive.extractall(folder)
    return folder


def edit(folder: Path, name: str, change: Callable[[Rows], Rows | None]) -> None:
    """Rewrite ``name`` through ``change(rows)`` (header is rows[0]), keeping its line ends."""
    raw = (folder / name).read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    rows = list(csv.reader(io.StringIO(raw)))
    changed = change(rows)
    rows = rows if changed is None else changed
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    (folder / name).write_bytes(out.getvalue().encode("utf-8"))


def rezip(folder: Path) -> Path:
    target = folder.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return target


def load_error(folder: Path) -> FeedError:
    with pytest.raises(FeedError) as info:
        load_gtfs(rezip(folder))
    return info.value


def where(error: FeedError) -> tuple[str, str | None, int | None, str | None]:
    return type(error).__name__, error.file, error.row, error.field


def drop_column(column: str) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        i = rows[0].index(column)
        return [row[:i] + row[i + 1 :] for row in rows]

    return change


def set_value(line: int, column: str, value: str) -> Callable[[Rows], None]:
    """Set ``column`` on file line ``line`` (header = line 1; no multi-line values here)."""

    def change(rows: Rows) -> None:
        rows[line - 1][rows[0].index(column)] = value

    return change


def test_clean_copy_loads(caltrain: Path) -> None:
    feed = load_gtfs(rezip(caltrain))
    assert feed.summary()["stop_times_rows"] == 2853


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (
            "stop_times.txt",
            drop_column("stop_sequence"),
            ("FeedMissingError", "stop_times.txt", 1, "stop_sequence"),
        ),
        (
            "stop_times.txt",
            drop_column("arrival_time"),
            ("FeedMissingError", "stop_times.txt", 1, "arrival_time"),
        ),
        (
            "routes.txt",
            drop_column("route_type"),
            ("FeedMissingError", "routes.txt", 1, "route_type"),
        ),
        (
            "trips.txt",
            drop_column("service_id"),
            ("FeedMissingError", "trips.txt", 1, "service_id"),
        ),
        (
            "stop_times.txt",
            set_value(11, "arrival_time", "25:7x:00"),
            ("FeedFormatError", "stop_times.txt", 11, "arrival_time"),
        ),
        (
            "stop_times.txt",
            set_value(40, "departure_time", "8:00"),
            ("FeedFormatError", "stop_times.txt", 40, "departure_time"),
        ),
        (
            "stop_times.txt",
            set_value(12, "stop_sequence", "two"),
            ("FeedFormatError", "stop_times.txt", 12, "stop_sequence"),
        ),
        (
            "stops.txt",
            set_value(5, "stop_lat", "95.5"),
            ("FeedFormatError", "stops.txt", 5, "stop_lat"),
        ),
        (
            "stops.txt",
            set_value(7, "stop_lon", "-122,4"),
            ("FeedFormatError", "stops.txt", 7, "stop_lon"),
        ),
        (
            "routes.txt",
            set_value(3, "route_type", "bus"),
            ("FeedFormatError", "routes.txt", 3, "route_type"),
        ),
        (
            "calendar.txt",
            set_value(2, "start_date", "2017-10-02"),
            ("FeedFormatError", "calendar.txt", 2, "start_date"),
        ),
        (
            "calendar_dates.txt",
            set_value(4, "exception_type", "3"),
            ("FeedFormatError", "calendar_dates.txt", 4, "exception_type"),
        ),
        (
            "stop_times.txt",
            set_value(20, "stop_id", "NOPE"),
            ("FeedIntegrityError", "stop_times.txt", 20, "stop_id"),
        ),
        (
            "stop_times.txt",
            set_value(30, "trip_id", "NO-SUCH-TRIP"),
            ("FeedIntegrityError", "stop_times.txt", 30, "trip_id"),
        ),
        (
            "trips.txt",
            set_value(9, "route_id", "NO-SUCH-ROUTE"),
            ("FeedIntegrityError", "trips.txt", 9, "route_id"),
        ),
        (
            "trips.txt",
            set_value(6, "service_id", "NO-SUCH-SERVICE"),
            ("FeedIntegrityError", "trips.txt", 6, "service_id"),
        ),
        (
            "stop_times.txt",
            set_value(2, "arrival_time", "23:59:00"),  # later than the next stop
            ("FeedIntegrityError", "stop_times.txt", 2, "departure_time"),
        ),
    ],
)
def test_bad_value_names_file_row_field(
    caltrain: Path,
    file: str,
    change: Callable[[Rows], Rows | None],
    expected: tuple[str, str, int, str],
) -> None:
    edit(caltrain, file, change)
    assert where(load_error(caltrain)) == expected


def duplicate_line(source: int) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        return [*rows, list(rows[source - 1])]

    return change


@pytest.mark.parametrize(
    ("file", "field"),
    [("stops.txt", "stop_id"), ("routes.txt", "route_id"), ("trips.txt", "trip_id")],
)
def test_duplicate_ids(caltrain: Path, file: str, field: str) -> None:
    n_lines = len((caltrain / file).read_text().splitlines())
    edit(caltrain, file, duplicate_line(4))
    error = load_error(caltrain)
    assert where(error) == ("FeedIntegrityError", file, n_lines + 1, field)
    assert "first on line 4" in error.message


def test_duplicate_trip_stop_sequence(caltrain: Path) -> None:
    def change(rows: Rows) -> None:
        seq = rows[0].index("stop_sequence")
        rows[3][seq] = rows[2][seq]  # line 4 repeats line 3's (trip_id, stop_sequence)

    edit(caltrain, "stop_times.txt", change)
    error = load_error(caltrain)
    assert where(error) == ("FeedIntegrityError", "stop_times.txt", 4, "stop_sequence")
    assert "first on line 3" in error.message


def test_missing_time_on_first_stop(caltrain: Path) -> None:
    def change(rows: Rows) -> None:
        rows[1][rows[0].index("arrival_time")] = ""
        rows[1][rows[0].index("departure_time")] = ""

    edit(caltrain, "stop_times.txt", change)
    error = load_error(caltrain)
    assert where(error) == ("FeedFormatError", "stop_times.txt", 2, "arrival_time")
    assert "first stop" in error.message


def test_row_with_too_many_values(caltrain: Path) -> None:
    edit(caltrain, "routes.txt", lambda rows: [*rows[:3], [*rows[3], "surplus"], *rows[4:]])
    assert where(load_error(caltrain)) == ("FeedFormatError", "routes.txt", 4, None)


@pytest.mark.parametrize(
    "name", ["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt"]
)
def test_missing_required_file(caltrain: Path, name: str) -> None:
    (caltrain / name).unlink()
    error = load_error(caltrain)
    assert isinstance(error, FeedMissingError)
    assert error.file == name


def test_missing_both_calendars(caltrain: Path) -> None:
    (caltrain / "calendar.txt").unlink()
    (caltrain / "calendar_dates.txt").unlink()
    error = load_error(caltrain)
    assert isinstance(error, FeedMissingError)
    assert "calendar_dates.txt" in error.message


def test_truncated_zip(caltrain: Path) -> None:
    data = rezip(caltrain).read_bytes()
    truncated = caltrain.parent / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(FeedFormatError) as info:
        load_gtfs(truncated)
    assert info.value.file == str(truncated)


def test_corrupt_zip_member(caltrain: Path) -> None:
    path = rezip(caltrain)
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("stop_times.txt")
    data = bytearray(path.read_bytes())
    # local header: 30 bytes + name + extra, then the compressed data
    name_len = int.from_bytes(data[member.header_offset + 26 : member.header_offset + 28], "little")
    extra_len = int.from_bytes(
        data[member.header_offset + 28 : member.header_offset + 30], "little"
    )
    start = member.header_offset + 30 + name_len + extra_len
    middle = start + member.compress_size // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(FeedFormatError) as info:
        load_gtfs(path)
    assert info.value.file == "stop_times.txt"


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    path.write_text("agency_id,agency_name\n")
    with pytest.raises(FeedFormatError):
        load_gtfs(path)


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(FeedMissingError) as info:
        load_gtfs(tmp_path / "nope.zip")
    assert info.value.file == str(tmp_path / "nope.zip")
    assert info.value.to_dict()["type"] == "FeedMissingError"


def test_quirky_copy_of_a_real_feed_loads_like_the_clean_one(caltrain: Path) -> None:
    clean = load_gtfs(rezip(caltrain)).service_day("20180620")
    for name in ("stops.txt", "stop_times.txt", "trips.txt"):
        raw = (caltrain / name).read_bytes().decode("utf-8")
        header, rest = raw.split("\r\n", 1)
        spaced = ", ".join(f" {column}" for column in header.split(","))
        (caltrain / name).write_bytes(b"\xef\xbb\xbf" + f"{spaced}\r\n{rest}".encode())
    with pytest.warns(FeedWarning) as record:
        quirky = load_gtfs(rezip(caltrain)).service_day("20180620")
    messages = [str(w.message) for w in record]
    for name in ("stops.txt", "stop_times.txt", "trips.txt"):
        assert f"{name}: removed a UTF-8 byte order mark (BOM) at the start of the file" in messages
        assert any(m.startswith(f"{name}: stripped spaces around header names") for m in messages)
    assert len(clean.trips) > 0
    for table in ("stops", "routes", "trips", "stop_times", "transfers"):
        pd.testing.assert_frame_equal(getattr(quirky, table), getattr(clean, table))
