"""The local Dask cluster that plans diaries binds only free ports: it runs while another
program holds Dask's default ports (8786 scheduler, 8787 dashboard)."""

from __future__ import annotations

import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from distributed import Client

from maasmix.pricing.demand.jobs import local_cluster


@contextmanager
def holding(*ports: int) -> Iterator[None]:
    """Listen on ``ports`` (a port some other program already holds is held too)."""
    socks = []
    try:
        for port in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            with suppress(OSError):
                s.bind(("", port))
                s.listen(1)
            socks.append(s)
        yield
    finally:
        for s in socks:
            s.close()


def _inc(x: int) -> int:
    return x + 1


def test_the_local_cluster_runs_while_8786_and_8787_are_held() -> None:
    with holding(8786, 8787), warnings.catch_warnings():
        warnings.simplefilter("error")  # "Port 8787 is already in use" would be one
        cluster = local_cluster(1)
        try:
            with Client(cluster) as client:
                assert client.submit(_inc, 41).result(timeout=60) == 42
            ports = {cluster.scheduler.port, cluster.scheduler.http_server.port}
            assert not ports & {8786, 8787}
            assert ":8787" not in (cluster.dashboard_link or "")
        finally:
            cluster.close()
