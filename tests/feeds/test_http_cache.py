"""The HTTP cache of static inputs (`maasmix.feeds._http.fetch_cached`): a body served
with validators is kept on disk and asked for again only conditionally."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from maasmix.feeds._http import fetch_bytes, fetch_cached


class _Origin:
    """A loopback server of one body: with an ETag (``etag=True``) it answers a matching
    If-None-Match with 304; it records every request's status."""

    def __init__(self) -> None:
        self.body = b"first"
        self.etag = True
        self.statuses: list[int] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                tag = '"' + hashlib.sha256(origin.body).hexdigest()[:16] + '"'
                if origin.etag and self.headers.get("If-None-Match") == tag:
                    origin.statuses.append(304)
                    self.send_response(304)
                    self.end_headers()
                    return
                origin.statuses.append(200)
                self.send_response(200)
                if origin.etag:
                    self.send_header("ETag", tag)
                self.send_header("Content-Length", str(len(origin.body)))
                self.end_headers()
                self.wfile.write(origin.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.zip"


@pytest.fixture()
def origin() -> Iterator[_Origin]:
    served = _Origin()
    thread = threading.Thread(target=served.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.httpd.shutdown()
        served.httpd.server_close()
        thread.join(timeout=5)


def test_an_unchanged_body_is_not_downloaded_again(origin: _Origin, tmp_path: Path) -> None:
    assert fetch_cached(origin.url, cache_dir=tmp_path) == b"first"
    assert fetch_cached(origin.url, cache_dir=tmp_path) == b"first"
    assert origin.statuses == [200, 304]
    origin.body = b"second"  # a new version: a new ETag, downloaded
    assert fetch_cached(origin.url, cache_dir=tmp_path) == b"second"
    assert fetch_cached(origin.url, cache_dir=tmp_path) == b"second"
    assert origin.statuses == [200, 304, 200, 304]
    assert fetch_bytes(origin.url) == b"second" and origin.statuses[-1] == 200  # uncached


def test_a_body_without_validators_is_not_kept(origin: _Origin, tmp_path: Path) -> None:
    origin.etag = False
    assert fetch_cached(origin.url, cache_dir=tmp_path) == b"first"
    origin.body = b"second"
    assert fetch_cached(origin.url, cache_dir=tmp_path) == b"second"
    assert origin.statuses == [200, 200]
