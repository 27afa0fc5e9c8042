"""Absurd inputs the first hostile suite lacked, one reader at a time (GTFS zip and folder,
GTFS CSV, fares, frequencies, GBFS JSON, OSM XML, diaries, points, Parquet, emission
factors YAML): each ends in a `MaasmixError` naming the file (and row or field where one
applies), never a library's traceback; the bombs are refused in bounded memory.

Every case here raised a library exception, or used gigabytes, before the reader was
fixed (see the report of the change that added this file)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from maasmix.errors import DiaryError, FeedFormatError, FeedWarning, InputError
from maasmix.feeds import limits
from maasmix.feeds.diaries import read_diary
from maasmix.feeds.emission_factors import load_emission_factors
from maasmix.feeds.fares import read_fares
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.gtfs import load_gtfs
from maasmix.feeds.gtfs._csv import read_csv_table
from maasmix.feeds.osm import load_osm
from maasmix.feeds.points import read_points
from tests.feeds.test_gtfs import TINY
from tests.hostile import measure

DIARY_HEADER = (
    b"person_id,segment,weight,origin_lat,origin_lon,destination_lat,destination_lon,"
    b"trips_per_month,departure_time\n"
)


def _tiny_zip(target: Path, replace: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(TINY.iterdir()):
            archive.writestr(member.name, (replace or {}).get(member.name, member.read_bytes()))
    return target


def _quiet_load(source: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return load_gtfs(source)


# ---------------------------------------------------------------------- GTFS zip / folder


def test_an_encrypted_member_is_named(tmp_path: Path) -> None:
    data = bytearray(_tiny_zip(tmp_path / "plain.zip").read_bytes())
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            data[found + flags_at] |= 1  # the "encrypted" bit of every entry
            start = found + 4
    feed = tmp_path / "locked.zip"
    feed.write_bytes(bytes(data))
    with pytest.raises(FeedFormatError) as err:
        _quiet_load(feed)
    assert err.value.file == str(feed) and "encrypted" in str(err.value)
    assert err.value.field is not None and err.value.field.endswith(".txt")


def test_a_member_twice_in_the_zip_is_refused(tmp_path: Path) -> None:
    feed = _tiny_zip(tmp_path / "twice.zip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(feed, "a") as archive:
            archive.writestr("stops.txt", "stop_id,stop_name,stop_lat,stop_lon\nX,x,1,1\n")
    with pytest.raises(FeedFormatError) as err:
        _quiet_load(feed)
    assert (err.value.file, err.value.field) == (str(feed), "stops.txt")
    assert "twice" in str(err.value)


def test_a_symlinked_member_of_a_folder_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(TINY, folder)
    secret = tmp_path / "elsewhere.txt"
    secret.write_text((TINY / "stops.txt").read_text())
    (folder / "stops.txt").unlink()
    (folder / "stops.txt").symlink_to(secret)
    with pytest.raises(FeedFormatError) as err:
        _quiet_load(folder)
    assert (err.value.file, err.value.field) == (str(folder), "stops.txt")
    assert "symbolic link" in str(err.value)


# ---------------------------------------------------------------------- GTFS CSV values


@pytest.mark.parametrize("price", ["1e300", "9" * 30])
def test_a_fare_beyond_any_price_is_a_row_error(tmp_path: Path, price: str) -> None:
    fares = (TINY / "fare_attributes.txt").read_text().replace("2.50", price)
    feed = _tiny_zip(tmp_path / "f.zip", {"fare_attributes.txt": fares.encode()})
    with pytest.raises(FeedFormatError) as err:
        read_fares(_quiet_load(feed))  # type: ignore[arg-type]
    assert (err.value.file, err.value.row, err.value.field) == ("fare_attributes.txt", 2, "price")


def test_frequencies_expanding_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    rows = b"trip_id,start_time,end_time,headway_secs\nF1,00:00:00,99:00:00,1\n"
    feed = _quiet_load(_tiny_zip(tmp_path / "f.zip", {"frequencies.txt": rows}))
    date = feed.service_dates()[0]  # type: ignore[attr-defined]
    with limits.override(max_day_stop_times=100_000), pytest.raises(FeedFormatError) as err:
        feed.service_day(date)  # type: ignore[attr-defined]
    assert (err.value.file, err.value.field) == ("frequencies.txt", "headway_secs")
    assert "max_day_stop_times" in str(err.value) and "'F1'" in str(err.value)
    day = feed.service_day(date)  # type: ignore[attr-defined]  # the default limit: read
    assert (day.trips["trip_id"] == "F1").sum() == 99 * 3600


def test_blank_lines_under_a_wide_header_are_refused_before_parsing() -> None:
    header = b",".join(b"c%d" % i for i in range(20)) + b"\n"
    with pytest.raises(FeedFormatError) as err:
        read_csv_table("stops.txt", header + b"\n" * 200_000)  # 4 million empty cells
    assert err.value.file == "stops.txt" and "max_cells_per_byte" in str(err.value)
    few = read_csv_table("stops.txt", header + b"\n" * 1000 + b"a\n")  # real quirks: read
    assert len(few.frame) == 1 and list(few.lines) == [1002]


# ---------------------------------------------------------------------- GBFS JSON


@pytest.mark.parametrize("price", [1e308, "1e999999999", -(10**12)])
def test_a_plan_price_beyond_reason(
    dataset: Callable[..., Path], tmp_path: Path, price: object
) -> None:
    folder = tmp_path / "gbfs"
    shutil.copytree(dataset("gbfs-lillestrom-bysykkel"), folder)
    path = folder / "system_pricing_plans.json"
    doc = json.loads(path.read_text())
    doc["data"]["plans"][0]["price"] = price
    path.write_text(json.dumps(doc))
    with pytest.raises(FeedFormatError) as err:
        load_gbfs(folder)
    assert err.value.file == str(path) and err.value.field == "data.plans[0].price"


@pytest.mark.parametrize("coordinates", [[{}], [[["a", "b"]]], {"x": 1}, [[[1e400, 2]]]])
def test_geofencing_coordinates_of_junk(
    dataset: Callable[..., Path], tmp_path: Path, coordinates: object
) -> None:
    folder = tmp_path / "gbfs"
    shutil.copytree(dataset("gbfs-oslo-tier"), folder)
    path = folder / "geofencing_zones.json"
    doc = json.loads(path.read_text())
    doc["data"]["geofencing_zones"]["features"][0]["geometry"]["coordinates"] = coordinates
    path.write_text(json.dumps(doc).replace("1e+400", "1e400"))
    with warnings.catch_warnings(), pytest.raises(FeedFormatError) as err:
        warnings.simplefilter("ignore", FeedWarning)
        load_gbfs(folder)
    assert err.value.file == str(path)
    assert err.value.field == "data.geofencing_zones.features[0].geometry"


# ---------------------------------------------------------------------- OSM XML


@pytest.mark.parametrize("lat", ["nan", "x", ""])
def test_osm_node_coordinates_that_are_not_numbers(tmp_path: Path, lat: str) -> None:
    path = tmp_path / "bad.osm"
    path.write_text(
        f'<osm version="0.6"><node id="1" lat="{lat}" lon="24.9"/>'
        '<node id="2" lat="60.1" lon="24.9"/><way id="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="residential"/></way></osm>'
    )
    with pytest.raises(FeedFormatError) as err:
        load_osm(path)
    assert err.value.file == str(path) and "cannot read OSM data" in str(err.value)


# ---------------------------------------------------------------------- diaries


def test_a_gzip_bomb_of_blank_lines_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        handle.write(DIARY_HEADER)
        for _ in range(52):
            handle.write(b"\n" * (1 << 20))
    assert bomb.stat().st_size < 100_000
    code = (
        "import sys\nfrom maasmix.errors import DiaryError\n"
        "from maasmix.feeds.diaries import read_diary\n"
        "try:\n    read_diary(sys.argv[1])\n"
        "except DiaryError as exc:\n    print(exc)\n    sys.exit(2)\n"
    )
    outcome = measure([sys.executable, "-c", code, str(bomb)], timeout_s=60)
    assert outcome.returncode == 2, outcome.line()
    assert "max_compression_ratio" in outcome.stdout and str(bomb) in outcome.stdout
    assert outcome.peak_mib < 500, outcome.line()  # 8 GiB before: the blank rows laid out


def test_a_diary_of_blank_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(DIARY_HEADER + b"p,s,1,60.1,24.9,60.2,24.95,20,08:00\n" + b"\n" * 1100)
    with pytest.raises(DiaryError) as err:
        read_diary(path, max_rows=10)
    assert err.value.file == str(path) and "blank" in str(err.value)


# ---------------------------------------------------------------------- points and Parquet


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"id,id,lat,lon\na,b,1,2\n", "duplicate column name 'id'"),
        (b"id,lat,lon\na," + b"1" * (2 << 20) + b",2\n", "max_line_bytes"),
        (b"id,lat,lon\na,1,2" + b"," * 100 + b"\n", "extra_fields_margin"),
        (b"id,lat,lon\na,1,2\n" + b"\n" * 5000, "blank lines"),
        (b"id,lat,lon\na,1,2\nb,3,4,5,6\n", "line 3: row has 5 fields but the header names 3"),
        (b"id,lat,lon\na,1,2,3\n", "line 2: row has 4 fields"),  # was read shifted: id 1
    ],
)
def test_points_csv_beyond_reason(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_points(path)
    assert err.value.file == str(path) and words in str(err.value), str(err.value)


def test_parquet_inflating_beyond_the_limits(tmp_path: Path) -> None:
    path = tmp_path / "zeros.parquet"
    pd.DataFrame({"id": ["a"] * 400_000, "lat": [0.0] * 400_000}).to_parquet(
        path, compression="zstd", use_dictionary=False
    )
    with limits.override(max_member_bytes=1 << 20), pytest.raises(InputError) as err:
        read_points(path)
    assert err.value.file == str(path) and "max_member_bytes" in str(err.value)
    with limits.override(max_compression_ratio=2.0), pytest.raises(DiaryError) as ratio:
        read_diary(path)
    assert ratio.value.file == str(path) and "max_compression_ratio" in str(ratio.value)


# ---------------------------------------------------------------------- emission factors


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"factors: " + b"[" * 200_000, "nested more than 64 levels"),
        (b"a: &x [1]\nfactors: *x\n", "aliases"),
        (b"factors: 2020-02-30\n", "invalid YAML value"),
        (b"factors: " + b"9" * 5000 + b"\n", "invalid YAML value"),
        (b"# " + b"x" * (1 << 20) + b"\n", "larger than"),
    ],
)
def test_emission_factor_files_beyond_reason(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "factors.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_emission_factors(path)
    assert err.value.file == str(path) and words in str(err.value)


def test_a_user_factors_file_still_overrides(tmp_path: Path) -> None:
    path = tmp_path / "factors.yaml"
    path.write_text("factors:\n  - {mode: bus, propulsion: any, g_per_pkm: 12.5}\n")
    assert load_emission_factors(path).factors[("bus", "any")] == 12.5


def test_a_parquet_diary_of_one_long_repeated_text_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from maasmix.feeds import diaries

    rows = 2000
    table = pa.table(
        {
            "person_id": pa.array(["p"] * rows),
            "segment": pa.array(["s" * 100_000] * rows),  # 200 MB decoded, KiB in the file
            "weight": pa.array([1.0] * rows),
        }
    )
    path = tmp_path / "long.parquet"
    pq.write_table(table, path, compression="zstd")
    assert path.stat().st_size < 1 << 20
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(diaries, "MAX_DIARY_BYTES", 50 << 20)
        with warnings.catch_warnings(), pytest.raises(DiaryError) as err:
            warnings.simplefilter("ignore", FeedWarning)
            read_diary(path)
    assert err.value.file == str(path) and "MAX_DIARY_BYTES" in str(err.value)
    with limits.override(max_member_bytes=50 << 20), pytest.raises(InputError) as points:
        read_points(path)
    assert points.value.file == str(path) and "decode to" in str(points.value)


# ---------------------------------------------------------------------- names and file kinds


def _readers() -> list[tuple[str, Callable[[str], object]]]:
    from maasmix.api.deployment import read_deployment
    from maasmix.feeds.gbfs import load_gbfs_cached
    from maasmix.feeds.gtfs_rt import read_gtfs_rt
    from maasmix.feeds.inspect import inspect_source
    from maasmix.pricing.scenario import load_scenario
    from maasmix.pricing.scenario.bundle_file import load_bundle_file

    return [
        ("gtfs", load_gtfs),
        ("gbfs", load_gbfs),
        ("gbfs-cached", load_gbfs_cached),
        ("gtfs-rt", read_gtfs_rt),
        ("osm", load_osm),
        ("points", read_points),
        ("diary", read_diary),
        ("factors", load_emission_factors),
        ("deployment", read_deployment),
        ("scenario", load_scenario),
        ("bundle", load_bundle_file),
        ("inspect", inspect_source),
    ]


@pytest.mark.parametrize("suffix", ["", ".zip", ".csv", ".parquet", ".yaml", ".osm.pbf"])
@pytest.mark.parametrize("kind", ["too long", "NUL"])
def test_names_no_file_system_holds(kind: str, suffix: str) -> None:
    name = ("x" * 300 if kind == "too long" else "a\x00b") + suffix
    for reader, read in _readers():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FeedWarning)
            try:
                read(name)  # not OSError / ValueError from the file system
            except InputError as exc:
                assert exc.file, reader
                continue
        pytest.fail(f"{reader} read {name!r}")


@pytest.mark.parametrize("name", ["feed.zip", "extract.osm.pbf"])
def test_a_pipe_or_a_device_is_not_read(tmp_path: Path, name: str) -> None:
    pipe = tmp_path / name
    os.mkfifo(pipe)  # opening it would block forever
    zero = tmp_path / f"zero-{name}"
    zero.symlink_to("/dev/zero")  # reading it would never end
    for path in (pipe, zero):
        with pytest.raises(FeedFormatError) as err:
            (load_osm if name.endswith(".pbf") else load_gtfs)(path)
        assert err.value.file == str(path) and "not a regular file" in str(err.value)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="no /proc")
def test_a_file_that_fails_to_read_is_named() -> None:
    from maasmix.feeds.gbfs import load_gbfs_cached

    for read in (load_gbfs, load_gbfs_cached):
        with pytest.raises(FeedFormatError) as err:
            read("/proc/self/mem")  # a regular file whose read fails (EIO)
        assert err.value.file == "/proc/self/mem" and "cannot be read" in str(err.value)


def test_a_url_of_broken_syntax_is_named() -> None:
    from maasmix.errors import FeedMissingError

    for url in ("https://[::1/feed.zip", "http://[zz]/x.zip"):
        with pytest.raises(FeedMissingError) as err:
            load_gtfs(url)
        assert "not a valid URL" in str(err.value)


# ---------------------------------------------------------------------- tiny repeated elements


def test_a_gbfs_file_of_millions_of_empty_objects(
    dataset: Callable[..., Path], tmp_path: Path
) -> None:
    folder = tmp_path / "gbfs"
    shutil.copytree(dataset("gbfs-lillestrom-bysykkel"), folder)
    path = folder / "station_status.json"
    head = b'{"last_updated": 1631517912, "ttl": 60, "version": "2.3", "data": {"stations": ['
    path.write_bytes(head + b"{}," * 20_000_000 + b"{}]}}")  # 60 MB: 2 GB as Python dicts
    with pytest.raises(FeedFormatError) as err:
        load_gbfs(folder)
    assert err.value.file == str(path) and "max_json_containers" in str(err.value)


def _length_delimited(field: int, payload: bytes) -> bytes:
    size, varint = len(payload), bytearray()
    while True:
        varint.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            return bytes([field << 3 | 2]) + bytes(varint) + payload


def _realtime_message(updates: int) -> bytes:
    header = _length_delimited(1, _length_delimited(1, b"2.0"))
    trip = _length_delimited(1, _length_delimited(1, b"T1"))
    body = trip + b"\x12\x00" * updates  # a trip, then empty stop time updates
    return header + _length_delimited(2, _length_delimited(1, b"e") + _length_delimited(3, body))


def test_a_realtime_message_of_millions_of_empty_stop_time_updates() -> None:
    from maasmix.feeds.bounds import message_elements
    from maasmix.feeds.gtfs_rt import read_gtfs_rt

    bomb = _realtime_message(5_000_000)  # 10 MB on the wire, some 400 MB and 40 s parsed
    assert message_elements(bomb) == 5_000_007  # header, version, entity, id, update, trip
    with pytest.raises(FeedFormatError) as err:
        read_gtfs_rt(bomb)
    assert "max_message_elements" in str(err.value)
    small = _realtime_message(20_000)
    with limits.override(max_message_elements=10_000), pytest.raises(FeedFormatError):
        read_gtfs_rt(small)
    assert list(read_gtfs_rt(small).trip_updates["trip_id"]) == ["T1"]  # the default: read


def test_zip_entries_are_counted_from_the_end_record_before_the_directory_is_read(
    tmp_path: Path,
) -> None:
    import struct

    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(200):
            archive.writestr(f"f{i}.txt", "")
    with limits.override(max_members=100), pytest.raises(FeedFormatError) as err:
        load_gtfs(many)
    assert err.value.file == str(many) and "holds 200 entries" in str(err.value)
    liar = tmp_path / "liar.zip"  # the end record claims 5 entries; the directory has 200
    data = bytearray(many.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 5, 5)
    liar.write_bytes(bytes(data))
    with limits.override(max_members=5), pytest.raises(FeedFormatError) as lied:
        load_gtfs(liar)
    assert lied.value.file == str(liar) and "directory is" in str(lied.value)


def _geojson(geometry: str, crs: str | None = None) -> str:
    named = f'"crs": {{"type": "name", "properties": {{"name": "{crs}"}}}}, ' if crs else ""
    return (
        f'{{"type": "FeatureCollection", {named}"features": [{{"type": "Feature", '
        f'"properties": {{"id": "a"}}, "geometry": {geometry}}}]}}'
    )


@pytest.mark.parametrize(
    ("crs", "x"),
    [("EPSG:3857", 1e300), ("EPSG:2056", 1e300), ("EPSG:3857", -1e30)],
)
def test_projected_points_outside_their_crs(tmp_path: Path, crs: str, x: float) -> None:
    path = tmp_path / "points.geojson"
    path.write_text(_geojson(f'{{"type": "Point", "coordinates": [{x!r}, 2.0]}}', crs))
    with pytest.raises(InputError) as err:  # was read: 1e300 m east became lon -180
        read_points(path)
    assert (err.value.file, err.value.row, err.value.field) == (str(path), 0, "geometry")
    path.write_text(_geojson('{"type": "Point", "coordinates": [2600000, 1200000]}', "EPSG:2056"))
    bern = read_points(path)
    assert bern["lat"].iloc[0] == pytest.approx(46.951, abs=1e-3)


def test_nested_geometry_collections(tmp_path: Path) -> None:
    point = '{"type": "Point", "coordinates": [1, 2]}'
    for depth in (2, 3000):
        nested = '{"type": "GeometryCollection", "geometries": [' * depth + point + "]}" * depth
        path = tmp_path / f"nested{depth}.geojson"
        path.write_text(_geojson(nested))
        with pytest.raises(InputError) as err:
            read_points(path)
        assert err.value.file == str(path)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("trip_update.timestamp", 2**64 - 1),  # a uint64 no Int64 column holds
        ("vehicle.timestamp", 2**63),
        ("header.timestamp", 2**64 - 1),
        ("arrival.time", -(2**63)),
        ("alert.active_period", 2**64 - 1),
    ],
)
def test_realtime_times_beyond_any_date(where: str, value: int) -> None:
    from google.transit import gtfs_realtime_pb2 as pb

    from maasmix.feeds.gtfs_rt import read_gtfs_rt

    message = pb.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = 1_700_000_000
    entity = message.entity.add(id="e")
    if where == "header.timestamp":
        message.header.timestamp = value
    elif where == "vehicle.timestamp":
        entity.vehicle.timestamp = value
    elif where == "alert.active_period":
        entity.alert.active_period.add(start=value)
    else:
        entity.trip_update.trip.trip_id = "T1"
        if where == "arrival.time":
            entity.trip_update.stop_time_update.add(stop_id="S").arrival.time = value
        else:
            entity.trip_update.timestamp = value
    with pytest.raises(FeedFormatError) as err:
        read_gtfs_rt(message.SerializeToString(), now=1_700_000_000)
    named = {"alert.active_period": "alert.active_period[0].start"}.get(where, where)
    field = err.value.field or ""
    assert "is no date" in str(err.value) and (field == named or field.endswith("." + named))
    assert err.value.field.split(".")[-1] in ("timestamp", "time", "start")


def test_a_geojson_beyond_the_json_limit(tmp_path: Path) -> None:
    path = tmp_path / "points.geojson"
    path.write_text(_geojson('{"type": "Point", "coordinates": [1, 2]}') + " " * 2000)
    with limits.override(max_json_bytes=1000), pytest.raises(InputError) as err:
        read_points(path)
    assert err.value.file == str(path) and "max_json_bytes" in str(err.value)
    assert read_points(path)["id"].tolist() == ["a"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_its_byte_order_mark_is_decoded(tmp_path: Path, codec: str) -> None:
    text = (TINY / "stops.txt").read_text("utf-8")
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    feed = _tiny_zip(tmp_path / "f.zip", {"stops.txt": data})
    with pytest.warns(FeedWarning, match="UTF-16"):
        stops = load_gtfs(feed).tables["stops"]
    plain = _quiet_load(TINY).tables["stops"]  # type: ignore[attr-defined]
    assert stops["stop_name"].tolist() == plain["stop_name"].tolist()
    broken = _tiny_zip(tmp_path / "b.zip", {"stops.txt": b"\xff\xfe" + b"a\x00" * 3 + b"\x00\xd8"})
    with pytest.raises(FeedFormatError) as err:
        _quiet_load(broken)
    assert err.value.file == "stops.txt" and "UTF-16" in str(err.value)


def test_a_folder_member_growing_while_read_is_read_no_further(tmp_path: Path) -> None:
    from maasmix.feeds.gtfs._read import read_source

    folder = tmp_path / "feed"
    shutil.copytree(TINY, folder)
    _, members, _ = read_source(folder)
    pieces = members.chunks("stops.txt")
    first = next(pieces)  # the size is checked, the file opened
    with (folder / "stops.txt").open("ab") as handle:
        handle.write(b"X,grown,1,1\n" * 100_000)  # another writer appends 1.2 MB
    with pytest.raises(FeedFormatError) as err:
        list(pieces)
    assert err.value.file == "stops.txt" and "grew past" in str(err.value)
    assert first == (TINY / "stops.txt").read_bytes()
