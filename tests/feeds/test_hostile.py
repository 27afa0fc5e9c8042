"""Hostile inputs: absurd copies of shared feeds end with a clear error naming the file and
line (or a correct result), in bounded memory and time.

The CLI cases run in a subprocess each (`tests.hostile.measure`), with the child's peak
resident memory from ``wait4`` asserted under a bound; the CLI itself starts at about
230 MiB and 2.5 s, so the bounds leave room for that and little else.
"""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from maasmix.errors import FeedFormatError, FeedMissingError
from maasmix.feeds import limits
from maasmix.feeds._http import FetchPolicy, fetch_bytes, fetch_policy
from maasmix.feeds.cache import DiskCache, default_cache_dir, make_key
from maasmix.feeds.gtfs import load_gtfs
from maasmix.feeds.gtfs._csv import count_csv_rows, read_csv_table, scan_csv
from tests.hostile import blank_shapes, maasmix, wide_header, wide_row

PEAK_MIB = 600  # the CLI alone: ~230 MiB


@pytest.fixture(scope="module")
def bart(data_dir: Path) -> Path:
    return data_dir / "gtfs-bay-area" / "bart.zip"


def assert_clear_exit(outcome: object, *needles: str, peak: float = PEAK_MIB) -> None:
    from tests.hostile import Outcome

    assert isinstance(outcome, Outcome)
    assert outcome.returncode == 2, outcome.line()
    assert "Traceback" not in outcome.stderr, outcome.stderr
    for needle in needles:
        assert needle in outcome.stderr, outcome.line()
    assert outcome.peak_mib < peak, outcome.line()


# --- the cases, through the CLI, measured ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("commas", [100_000, 1_000_000])
def test_row_of_a_million_commas(bart: Path, tmp_path: Path, commas: int) -> None:
    feed = wide_row(bart, tmp_path / "wide-row.zip", commas)
    outcome = maasmix("feeds", "inspect", str(feed))
    assert_clear_exit(outcome, "stops.txt, line 2", "extra_fields_margin")


@pytest.mark.slow
@pytest.mark.parametrize("columns", [100_000, 1_000_000])
def test_header_of_a_million_columns(bart: Path, tmp_path: Path, columns: int) -> None:
    feed = wide_header(bart, tmp_path / "wide-header.zip", columns)
    outcome = maasmix("feeds", "inspect", str(feed))
    assert_clear_exit(outcome, "stops.txt, line 1")


@pytest.mark.slow
def test_gigabyte_of_blank_shapes(bart: Path, tmp_path: Path) -> None:
    feed = blank_shapes(bart, tmp_path / "blank-shapes.zip", (1 << 30) - (1 << 20))
    assert feed.stat().st_size < 8 << 20
    inspected = maasmix("feeds", "inspect", str(feed))
    assert_clear_exit(inspected, "shapes.txt", "max_compression_ratio")
    # routing needs no shapes: the member is never inflated
    routed = maasmix(
        "route", str(feed), "--date", "20180601", "--from", "12TH", "--to", "SFIA",
        "--at", "08:00", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert routed.returncode == 0, routed.line()
    assert "Journey 1" in routed.stdout
    assert routed.peak_mib < PEAK_MIB + 200, routed.line()


@pytest.mark.slow
@pytest.mark.parametrize("at", ["-3600", "²:00", "1e30", "99:00", "8:60"])
def test_cli_times_are_strict(bart: Path, tmp_path: Path, at: str) -> None:
    outcome = maasmix(
        "route", str(bart), "--date", "20180601", "--from", "12TH", "--to", "SFIA",
        "--at", at, "--cache-dir", str(tmp_path),
    )  # fmt: skip
    assert_clear_exit(outcome, "error: ", peak=PEAK_MIB + 200)


@pytest.mark.slow
def test_limits_are_overridable_from_the_environment(bart: Path, tmp_path: Path) -> None:
    feed = wide_row(bart, tmp_path / "wide-row.zip", 40)
    refused = maasmix("feeds", "inspect", str(feed))
    assert_clear_exit(refused, "stops.txt, line 2")
    allowed = maasmix(
        "feeds", "inspect", str(feed), env={"MAASMIX_FEED_LIMITS__EXTRA_FIELDS_MARGIN": "64"}
    )
    assert allowed.returncode == 0, allowed.line()
    assert "dropped empty extra fields" in allowed.stderr


# --- the readers, in process ---------------------------------------------------------


def test_scan_counts_records_as_the_reader_does() -> None:
    data = b'a,b,c\n1,2,3\r\n\n"x,\ny",2,3\r4,5,6,,,\n,,\n"",""\n7'
    scan = scan_csv("t.txt", data)
    assert scan.width == 3
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        table = read_csv_table("t.txt", data)
    assert scan.rows == 4 == len(table.frame)
    pieces = [data[i : i + 3] for i in range(0, len(data), 3)]  # CRLF split across chunks
    assert count_csv_rows("t.txt", pieces) == 4


def test_quotes_inside_values_do_not_widen_rows() -> None:
    data = b'id,name\n1,Main St "North"\n2,"a,b,c"\n3,5" screen, "x"\n'
    with limits.override(extra_fields_margin=0):
        assert scan_csv("t.txt", data[: data.rindex(b"3,")]).rows == 2
        with pytest.raises(FeedFormatError) as info:
            scan_csv("t.txt", data)
    assert (info.value.file, info.value.row) == ("t.txt", 4)


@pytest.mark.parametrize(
    ("change", "data", "line", "words"),
    [
        ({"max_line_bytes": 10}, b"a,b\n1,2\n12345678901,2\n", 3, "max_line_bytes"),
        ({"max_columns": 3}, b"a,b,c,d\n1,2,3,4\n", 1, "max_columns"),
        ({"extra_fields_margin": 2}, b"a,b\n1,2,,,,\n", 2, "extra_fields_margin"),
        ({"extra_fields_margin": 2}, b'a,b\n1,2\n"multi\nline",2,,,,\n', 3, "header names 2"),
    ],
)
def test_reader_limits_name_file_and_line(
    change: dict[str, int], data: bytes, line: int, words: str
) -> None:
    with limits.override(**change), pytest.raises(FeedFormatError) as info:
        read_csv_table("stops.txt", data)
    assert (info.value.file, info.value.row) == ("stops.txt", line)
    assert words in str(info.value)


def test_few_empty_extra_fields_are_still_repaired() -> None:
    with pytest.warns(UserWarning, match="dropped empty extra fields"):
        table = read_csv_table("stops.txt", b"a,b\n1,2,,,\n")
    assert table.frame.to_dict("list") == {"a": ["1"], "b": ["2"]}


def _zip_with(base: Path, target: Path, name: str, content: bytes) -> Path:
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info))
        dst.writestr(name, content)
    return target


def test_zip_member_limits(bart: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bart) as src:
        stops = src.read("stops.txt")
    feed = _zip_with(bart, tmp_path / "f.zip", "stops.txt", stops)
    with limits.override(max_member_bytes=len(stops) - 1), pytest.raises(FeedFormatError) as a:
        load_gtfs(feed)
    assert str(a.value.file).endswith(".txt") and "max_member_bytes" in str(a.value)
    padded = _zip_with(bart, tmp_path / "p.zip", "stops.txt", stops + b"\n" * (4 << 20))
    with pytest.raises(FeedFormatError) as b:
        load_gtfs(padded)
    assert b.value.file == "stops.txt" and "max_compression_ratio" in str(b.value)
    with limits.override(max_total_bytes=1000), pytest.raises(FeedFormatError) as c:
        load_gtfs(feed)
    assert "max_total_bytes" in str(c.value)
    with limits.override(max_members=3), pytest.raises(FeedFormatError) as d:
        load_gtfs(feed)
    assert d.value.file == str(feed) and "max_members" in str(d.value)


def test_shapes_are_read_only_when_asked_for(bart: Path, tmp_path: Path) -> None:
    broken = _zip_with(bart, tmp_path / "s.zip", "shapes.txt", b"shape_id,x\n1,2\n")
    feed = load_gtfs(broken)  # shapes.txt lacks required columns: not read yet
    assert "shapes.txt" in feed.files and "shapes" in feed.tables
    assert feed.summary()["shapes_rows"] == 1  # counted from a stream
    with pytest.raises(FeedMissingError) as info:
        feed.tables["shapes"]
    assert info.value.file == "shapes.txt" and info.value.field == "shape_pt_lat"


def test_summary_counts_shapes_as_the_table_has_them(bart: Path) -> None:
    feed = load_gtfs(bart)
    assert feed.summary()["shapes_rows"] == len(feed.tables["shapes"]) > 0


# --- fetching ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """``/slow``: a trickle; ``/big``: more than the cap; ``/redirect?to=``; ``/ok``."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.05)
        elif self.path.startswith("/big"):
            self.send_response(200)
            if self.path == "/big-declared":
                self.send_header("Content-Length", str(10 << 20))
            self.end_headers()
            try:
                for _ in range(10):
                    self.wfile.write(b"y" * (1 << 20))
            except OSError:
                return
        elif self.path == "/gbfs.json":
            port = self.server.server_address[1]
            listed = [{"name": "system_information", "url": f"http://localhost:{port}/ok"}]
            doc = {"last_updated": 0, "ttl": 0, "version": "2.3", "data": {"en": {"feeds": listed}}}
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.end_headers()
        else:
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_slow_sender_is_cut_at_the_total_time(server: str) -> None:
    started = time.monotonic()
    with limits.override(max_fetch_s=1.0), pytest.raises(FeedMissingError) as info:
        fetch_bytes(f"{server}/slow")
    assert time.monotonic() - started < 3
    assert "max_fetch_s" in str(info.value)


@pytest.mark.parametrize("path", ["/big", "/big-declared"])
def test_large_body_is_cut_at_the_size_cap(server: str, path: str) -> None:
    with limits.override(max_fetch_bytes=1 << 20), pytest.raises(FeedFormatError) as info:
        fetch_bytes(server + path)
    assert "max_fetch_bytes" in str(info.value)


def test_redirects_stay_under_the_policy(server: str) -> None:
    assert fetch_bytes(f"{server}/redirect?to=/ok") == b"ok"
    port = server.rsplit(":", 1)[1]
    allowed = FetchPolicy(allowed_hosts=frozenset({"127.0.0.1"}))
    with fetch_policy(allowed):
        assert fetch_bytes(f"{server}/redirect?to=/ok") == b"ok"
        with pytest.raises(FeedMissingError) as info:
            fetch_bytes(f"{server}/redirect?to=http://localhost:{port}/ok")
    assert "not among the sources allowed" in str(info.value)
    with limits.override(max_redirects=2), pytest.raises(FeedMissingError) as loop:
        fetch_bytes(f"{server}/redirect?to=/redirect?to=/redirect?to=/redirect?to=/ok")
    assert "max_redirects" in str(loop.value)


def test_server_policy_refuses_internal_addresses(server: str) -> None:
    server_policy = FetchPolicy.allow_only(["127.0.0.1", "localhost", "2130706433", "::1"])
    for url in (f"{server}/ok", "http://2130706433/ok", "http://[::1]/ok", "http://localhost/"):
        with fetch_policy(server_policy), pytest.raises(FeedMissingError) as info:
            fetch_bytes(url)
        assert "internal addresses are never fetched" in str(info.value), url


def test_urls_listed_in_a_fetched_gbfs_json_follow_the_policy(server: str) -> None:
    from maasmix.feeds.gbfs import load_gbfs

    only_this_host = FetchPolicy(allowed_hosts=frozenset({"127.0.0.1"}))
    with fetch_policy(only_this_host), pytest.raises(FeedMissingError) as info:
        load_gbfs(f"{server}/gbfs.json")  # lists http://localhost:<port>/...
    assert "not among the sources allowed" in str(info.value)
    assert "localhost" in str(info.value.file)


def test_connection_errors_name_no_port_or_cause() -> None:
    with pytest.raises(FeedMissingError) as info:
        fetch_bytes("http://127.0.0.1:9/feed.zip")
    text = str(info.value)
    assert text == "http://127.0.0.1/feed.zip: cannot fetch: connection failed"


# --- the disk cache ------------------------------------------------------------------


def test_cache_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, max_bytes=250_000)
    keys = [make_key(str(i), "test", {}, 1) for i in range(4)]
    for key in keys[:2]:
        cache.put(key, b"x" * 100_000)
    os.utime(cache.path_for(keys[0]), (1, 1))
    os.utime(cache.path_for(keys[1]), (2, 2))
    assert cache.get(keys[0]) is not None  # used: now the most recent
    cache.put(keys[2], b"x" * 100_000)
    assert cache.size_bytes() <= 250_000
    assert cache.get(keys[1]) is None  # the least recently used went first
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None


def test_temp_files_of_killed_writes_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f".{'a' * 16}.999999999.abc.tmp"  # no such process
    dead.write_bytes(b"half")
    old = tmp_path / f".{'b' * 16}.{os.getpid()}.def.tmp"
    old.write_bytes(b"old")
    os.utime(old, (1, 1))
    live = tmp_path / f".{'c' * 16}.{os.getppid()}.ghi.tmp"  # a writer still running
    live.write_bytes(b"in progress")
    DiskCache(tmp_path).put(make_key("x", "test", {}, 1), 1)
    assert not dead.exists() and not old.exists() and live.exists()


def test_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MAASMIX_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "maasmix"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert default_cache_dir() == Path.home() / ".cache" / "maasmix"


def test_one_build_per_key_across_threads(tmp_path: Path) -> None:
    calls: list[int] = []

    def build() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    cache = DiskCache(tmp_path)
    key = make_key("k", "test", {}, 1)
    results: list[int] = []
    run: Callable[[], None] = lambda: results.append(cache.get_or_build(key, build))  # noqa: E731
    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8 and len(calls) == 1


def test_bytes_and_folder_sources_read_lazily(bart: Path, tmp_path: Path) -> None:
    from_bytes = load_gtfs(bart.read_bytes())
    folder = tmp_path / "feed"
    folder.mkdir()
    with zipfile.ZipFile(bart) as src:
        src.extractall(folder)
    from_folder = load_gtfs(folder)
    rows = load_gtfs(bart).summary()["shapes_rows"]
    assert from_bytes.summary()["shapes_rows"] == from_folder.summary()["shapes_rows"] == rows


@pytest.mark.parametrize(
    "name", ["x" * 300 + ".zip", "d/" + "y" * 256 + "/gbfs.json", "z" * 300 + ".osm.pbf"]
)
def test_names_no_file_system_holds_are_feed_errors(name: str) -> None:
    from maasmix.feeds.inspect import inspect_source

    with pytest.raises(FeedMissingError, match="not a usable path"):
        inspect_source(name)
    if name.endswith(".zip"):
        with pytest.raises(FeedMissingError, match="not a usable path"):
            load_gtfs(name)
