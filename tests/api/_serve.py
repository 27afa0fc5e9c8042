"""A real ``maasmix serve --deployment FILE --workers N`` process for the tests that need
several workers: started on a free loopback port, waited for until ``/ready`` answers 200,
terminated afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

READY_TIMEOUT_S = 240


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    deployment: Path, folder: Path, workers: int = 2
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the server on ``deployment`` (cache and log in ``folder``); yields its base URL
    and process. A server that exits or is not ready in time fails the test with its log."""
    port = free_port()
    env = {**os.environ, "MAASMIX_CACHE_DIR": str(folder / "cache")}
    log_path = folder / "serve.log"
    log = log_path.open("w")  # closed in the finally below
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("maasmix")), "serve",
         "--deployment", str(deployment), "--workers", str(workers), "--port", str(port),
         "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(log_path.read_text()[-2000:])
            try:
                if requests.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not up yet (or still starting)
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not get ready in {READY_TIMEOUT_S} s")
            time.sleep(0.5)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(30)
        finally:
            log.close()
