"""A door-to-door network's inputs are read once per build: service day, shapes and fares
share one read of each feed, so each repair warning is given once."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

import maasmix.feeds.gtfs.feed as gtfs_feed
from maasmix.errors import FeedWarning
from maasmix.feeds.fares import FareTables
from maasmix.feeds.gtfs import ServiceDay
from maasmix.feeds.network_fares import read_network_fares
from maasmix.feeds.network_inputs import load_feed, load_network_compiled

from .test_gtfs import TINY

BOM = "byte order mark"


def _quirky(tmp_path: Path) -> Path:
    """The tiny feed with a BOM at the start of agency.txt (repaired with a warning)."""
    folder = tmp_path / "feed"
    shutil.copytree(TINY, folder)
    agency = folder / "agency.txt"
    agency.write_bytes(b"\xef\xbb\xbf" + agency.read_bytes())
    return folder


class _Count:
    """Counts the reads of a feed's tables (every `load_gtfs` makes one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = gtfs_feed._read_tables

        def counting(texts: Any) -> Any:
            self.calls += 1
            return real(texts)

        monkeypatch.setattr(gtfs_feed, "_read_tables", counting)


def _build(feed: Path | str, cache: Path, use_cache: bool = True) -> tuple[Any, list[str]]:
    def compile_inputs(day: ServiceDay, streets: object) -> tuple[int, dict[str, Any]]:
        # what `maasmix.engine.Network.from_files` does: fares read inside the build
        return len(day.trips), read_network_fares(feed)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeedWarning)
        value = load_network_compiled(
            feed,
            None,
            "20240104",
            compile_inputs,
            kind="test-network",
            version=1,
            params={},
            result_type=tuple,
            cache_dir=cache,
            use_cache=use_cache,
        )
    return value, [str(w.message) for w in caught]


@pytest.mark.parametrize("use_cache", [True, False])
def test_a_cold_build_reads_the_feed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_cache: bool
) -> None:
    feed = _quirky(tmp_path)
    count = _Count(monkeypatch)
    (trips, fares), messages = _build(feed, tmp_path / "cache", use_cache)
    assert count.calls == 1  # service day, shapes and fares from one read
    assert sum(BOM in m for m in messages) == 1
    assert trips > 0 and isinstance(fares["feed"], FareTables)


def test_a_warm_build_reads_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = _quirky(tmp_path)
    first, _ = _build(feed, tmp_path / "cache")
    count = _Count(monkeypatch)
    again, messages = _build(feed, tmp_path / "cache")
    assert count.calls == 0 and messages == []
    assert again[0] == first[0]


def test_outside_a_build_every_load_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = _quirky(tmp_path)
    count = _Count(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        a, b = load_feed(feed), load_feed(feed)
    assert a is not b and count.calls == 2


class _ZipServer:
    """A loopback HTTP server answering every GET with one zip, counting the GETs."""

    def __init__(self, body: bytes) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.gets = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.gets += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tiny.zip"


@pytest.mark.parametrize("use_cache", [True, False])
def test_a_build_downloads_a_url_once(tmp_path: Path, use_cache: bool) -> None:
    import threading

    from maasmix.feeds.network_fares import feed_labels

    archive = shutil.make_archive(str(tmp_path / "tiny"), "zip", _quirky(tmp_path))
    server = _ZipServer(Path(archive).read_bytes())
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        assert feed_labels(server.url) == ["tiny"] and server.gets == 0  # labels: no fetch
        (trips, fares), _ = _build(server.url, tmp_path / "cache", use_cache)
        assert server.gets == 1  # service day, shapes and fares from one download
        assert trips > 0 and isinstance(fares["tiny"], FareTables)
        _build(server.url, tmp_path / "cache", use_cache)
        assert server.gets == 2  # a new build downloads again (the feed may have changed)
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)


def test_labels_of_opened_sources_are_their_own(tmp_path: Path) -> None:
    from maasmix.feeds.gtfs._read import ResolvedSource
    from maasmix.feeds.network_fares import feed_labels

    archive = Path(shutil.make_archive(str(tmp_path / "tiny"), "zip", TINY))
    opened = ResolvedSource("hsl", archive.read_bytes())  # an id_prefix of a deployment
    assert feed_labels([opened, archive]) == ["hsl", "tiny"]
    assert feed_labels(opened) == ["hsl"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        assert isinstance(read_network_fares([opened])["hsl"], FareTables)
