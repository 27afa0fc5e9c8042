"""`JobRunner`: runs stored jobs on Dask and writes their state, progress and results.

One background thread per server process does all the Dask and bookkeeping work, so a
request never waits for a cluster to start or a job to finish: it submits the jobs
handed to `JobRunner.submit` (`maasmix.api.jobs.tasks.run_job`), turns the progress
events of its jobs into stored progress (the first one marks the job ``running``), sets
the cancel event of a job some request cancelled (in this process or another one
sharing the database) and cancels its Dask future, stores each finished result with the
scenario version it came from, and beats this process's heartbeat.

The cluster: the deployment's scheduler address when given (or a function giving it on
first use: the workers of ``maasmix serve --workers N`` share their supervisor's cluster,
`maasmix.api.jobs.cluster`), else a local cluster started on first use (free ports only:
``scheduler_port=0``, ``dashboard_address=":0"``).
On start the runner registers its process as a job owner and marks ``interrupted`` the
active jobs of owners that are gone (a server killed during a job); it does so again
with every heartbeat.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from maasmix.api.jobs.tasks import PROGRESS_TOPIC, JobCancelled, cancel_event_name, run_job
from maasmix.api.settings import Settings
from maasmix.api.storage import JobRecord, Storage
from maasmix.errors import MaasmixError

__all__ = ["HEARTBEAT_S", "JobRunner", "LocalClusterOptions"]

logger = logging.getLogger(__name__)

#: Seconds between two heartbeats (and sweeps for jobs of dead owners).
HEARTBEAT_S = 10.0
#: Seconds between two looks at the stored states of this runner's jobs.
CANCEL_CHECK_S = 0.5


@dataclass(frozen=True)
class LocalClusterOptions:
    """The local Dask cluster started when no scheduler address is given: worker
    processes (``processes=False``: threads of the server process) and threads each."""

    processes: bool = True
    n_workers: int = 1
    threads_per_worker: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass
class _Submission:
    job: JobRecord
    body: dict[str, Any]
    settings: Settings


def _scrub(text: str, settings: Settings | None) -> str:
    """``text`` without the server's data and cache folder prefixes (no server path
    reaches a client)."""
    if settings is None:
        return text
    for root in (settings.data.resolve(), settings.cache_dir.expanduser().resolve()):
        text = text.replace(f"{root}/", "").replace(str(root), ".")
    return text


class JobRunner:
    """Runs the jobs of ``storage`` on Dask (see the module docstring)."""

    def __init__(
        self,
        storage: Storage,
        *,
        scheduler: str | Callable[[], str] | None = None,
        local: LocalClusterOptions | None = None,
        poll_s: float = 0.1,
    ) -> None:
        self.storage = storage
        self.scheduler = scheduler
        self.local = local or LocalClusterOptions()
        self.poll_s = poll_s
        self.owner_id = storage.register_owner()
        self._inbox: queue.Queue[_Submission] = queue.Queue()
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._futures: dict[str, Any] = {}
        self._settings: dict[str, Settings] = {}
        self._cancelling: set[str] = set()
        self._client: Any = None
        self._cluster: Any = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="maasmix-jobs", daemon=True)
        storage.interrupt_orphans(keep=self.owner_id)
        self._thread.start()

    # the request side ----------------------------------------------------------------

    def submit(self, job: JobRecord, body: dict[str, Any], settings: Settings) -> None:
        """Hand a stored ``queued`` job (owned by this runner) to the cluster."""
        self._inbox.put(_Submission(job, body, settings))

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard of the cluster, once it runs."""
        client = self._client
        return None if client is None else str(client.dashboard_link)

    def close(self, timeout: float = 10.0) -> None:
        """Stop: this runner's active jobs become ``interrupted`` (the server stopped
        before they finished); the local cluster is shut down."""
        self._stopping.set()
        self._thread.join(timeout)
        self.storage.interrupt_owned(self.owner_id, "the server stopped before this job finished")
        self._shutdown_dask()

    # the background thread -----------------------------------------------------------

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        from distributed import Client, LocalCluster

        address = self.scheduler() if callable(self.scheduler) else self.scheduler
        if address:
            client = Client(address, timeout=30)
        else:
            self._cluster = LocalCluster(
                n_workers=self.local.n_workers,
                threads_per_worker=self.local.threads_per_worker,
                processes=self.local.processes,
                scheduler_port=0,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            client = Client(self._cluster)
        client.subscribe_topic(PROGRESS_TOPIC, self._on_event)
        self._client = client
        return client

    def _on_event(self, event: Any) -> None:
        _, message = event
        if isinstance(message, dict) and "job" in message:
            self._events.put(message)

    def _shutdown_dask(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        for thing in (client, cluster):
            if thing is None:
                continue
            try:
                thing.close()
            except Exception:  # shutting down: nothing left to tell
                logger.debug("closing Dask", exc_info=True)

    def _loop(self) -> None:
        last_beat = last_check = time.monotonic()
        while not self._stopping.is_set():
            try:
                self._step()
                now = time.monotonic()
                if now - last_check >= CANCEL_CHECK_S:
                    last_check = now
                    self._check_cancelled()
                if now - last_beat >= HEARTBEAT_S:
                    last_beat = now
                    self.storage.heartbeat(self.owner_id)
                    self.storage.interrupt_orphans(keep=self.owner_id)
            except Exception:  # the loop must outlive a failing database call
                logger.exception("job runner step failed")
                self._stopping.wait(1.0)
            self._stopping.wait(self.poll_s)

    def _step(self) -> None:
        while True:
            try:
                sub = self._inbox.get_nowait()
            except queue.Empty:
                break
            self._start(sub)
        while True:
            try:
                message = self._events.get_nowait()
            except queue.Empty:
                break
            job_id = str(message["job"])
            if job_id not in self._futures:  # another server's job on a shared cluster
                continue
            self.storage.mark_running(job_id)
            self.storage.set_progress(
                job_id, float(message.get("progress", 0.0)), str(message.get("message", ""))
            )
        for job_id, future in list(self._futures.items()):
            if future.done():
                del self._futures[job_id]
                self._cancelling.discard(job_id)
                settings = self._settings.pop(job_id, None)
                self._finished(job_id, future, settings)

    def _start(self, sub: _Submission) -> None:
        job = sub.job
        try:
            client = self._connect()
        except Exception as exc:  # no cluster: the job cannot run
            where = (
                "the server's shared cluster"
                if callable(self.scheduler)
                else self.scheduler or "a local cluster"
            )
            self.storage.fail_job(job.id, f"cannot reach the Dask scheduler ({where}): {exc}")
            return
        self._settings[job.id] = sub.settings
        self._futures[job.id] = client.submit(
            run_job,
            job.id,
            job.kind,
            sub.body,
            job.params,
            sub.settings,
            key=f"maasmix-job-{job.id}",
            pure=False,
        )

    def _check_cancelled(self) -> None:
        if not self._futures:
            return
        active = {j.id for j in self.storage.active_jobs(owner_id=self.owner_id)}
        for job_id, future in self._futures.items():
            if job_id in active or job_id in self._cancelling:
                continue
            self._cancelling.add(job_id)
            from distributed import Event

            Event(cancel_event_name(job_id), client=self._client).set()
            future.cancel()

    def _finished(self, job_id: str, future: Any, settings: Settings | None) -> None:
        status = future.status
        if status == "finished":
            out = future.result()
            if out.get("stopped"):
                return
            self.storage.finish_job(job_id, out["body"], out.get("report"))
        elif status == "error":
            exc = future.exception()
            if isinstance(exc, JobCancelled):
                return
            if isinstance(exc, MaasmixError):
                self.storage.fail_job(job_id, _scrub(f"{type(exc).__name__}: {exc}", settings))
            else:
                logger.error("job %s failed", job_id, exc_info=exc)
                self.storage.fail_job(job_id, f"the job failed ({type(exc).__name__})")
        else:
            self.storage.fail_job(job_id, "the Dask task was cancelled or lost")
