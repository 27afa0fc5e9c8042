"""One Dask cluster for every worker process of a server (``maasmix serve --workers N``).

Without a scheduler address (deployment ``dask.scheduler``, ``MAASMIX_DASK_ADDRESS``)
each process would start a local cluster of its own. With several workers the
supervisor owns the one local cluster instead, started when the first job needs it:

- a worker's `JobRunner` asks for the address with `request_address` (it creates the
  file ``wanted`` in the cluster folder and waits for ``address``);
- the supervisor's `SharedCluster` (a task of its `maasmix.api.polling.BackgroundPoller`)
  sees ``wanted``, starts ``python -m maasmix.api.jobs.cluster`` (a `LocalCluster` in a
  process of its own, so no scheduler thread runs in the process that forks the
  workers), and writes the address it prints to ``address`` (atomically); a cluster
  that cannot start writes its error to ``error`` instead;
- every worker's client connects to that address; the jobs' progress events reach every
  client, and each runner keeps only its own jobs' (`JobRunner` ignores the others).

The cluster process stops when the supervisor closes it, and on its own when the
supervisor dies (it waits on a pipe from the supervisor, which then closes).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from maasmix.api.jobs.runner import LocalClusterOptions
from maasmix.api.polling import Polled

__all__ = ["SharedCluster", "main", "request_address"]

log = logging.getLogger("maasmix.api.jobs.cluster")

#: Seconds a worker waits for the supervisor's cluster.
START_TIMEOUT_S = 120.0


def request_address(folder: Path, timeout_s: float = START_TIMEOUT_S) -> str:
    """The scheduler address of the supervisor's cluster, asking for it to start.

    Raises
    ------
    RuntimeError
        The cluster could not start, or gave no address within ``timeout_s``.
    """
    address, error = folder / "address", folder / "error"
    if not address.exists():
        (folder / "wanted").touch()
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(FileNotFoundError):
            return address.read_text().strip()
        with contextlib.suppress(FileNotFoundError):
            raise RuntimeError(error.read_text().strip())
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server's Dask cluster gave no address in {timeout_s:g} s")
        time.sleep(0.1)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


class SharedCluster(Polled):
    """The supervisor's side: starts the cluster process when a worker wants it."""

    thread_name = "maasmix-dask"

    def __init__(self, folder: Path, options: LocalClusterOptions | None = None) -> None:
        self.folder = folder
        self.options = options or LocalClusterOptions()
        self.process: subprocess.Popen[str] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("wanted", "address", "error"):
            (folder / name).unlink(missing_ok=True)

    @property
    def address(self) -> str | None:
        """The scheduler's address once started."""
        with contextlib.suppress(FileNotFoundError):
            return (self.folder / "address").read_text().strip()
        return None

    def start_cluster(self) -> str:
        """Start the cluster process (once) and publish its address."""
        if self.process is not None and self.address:
            return self.address
        opts = self.options
        command = [
            sys.executable, "-m", "maasmix.api.jobs.cluster",
            "--n-workers", str(opts.n_workers),
            "--threads-per-worker", str(opts.threads_per_worker),
            *([] if opts.processes else ["--threads"]),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith(("tcp://", "inproc://", "tls://")):
            self.close()
            message = f"the local Dask cluster did not start ({line or 'no address'})"
            _write(self.folder / "error", message)
            raise RuntimeError(message)
        _write(self.folder / "address", line)
        log.info("Dask cluster of the server at %s (pid %d)", line, self.process.pid)
        return line

    def run_once(self) -> bool:
        """Start the cluster if a worker asked for it; whether it was started now."""
        if self.process is not None or not (self.folder / "wanted").exists():
            return False
        if (self.folder / "error").exists():
            return False
        self.start_cluster()
        return True

    def next_wait_s(self) -> float:
        """A quarter of a second: a worker waits for this."""
        return 0.25

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop the cluster process (closing its pipe; killed if it does not stop)."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        (self.folder / "address").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """Run a `LocalCluster`, print its scheduler address, stop when stdin closes."""
    parser = argparse.ArgumentParser(prog="python -m maasmix.api.jobs.cluster")
    parser.add_argument("--n-workers", type=int, default=1)
    parser.add_argument("--threads-per-worker", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", action="store_true", help="threads, not processes")
    args = parser.parse_args(argv)
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=args.n_workers,
        threads_per_worker=args.threads_per_worker,
        processes=not args.threads,
        protocol="tcp",  # reachable from the other processes, also with threads
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()  # until the supervisor closes the pipe (or dies)


if __name__ == "__main__":
    main()
