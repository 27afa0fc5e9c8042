"""The work of a job, as run on a Dask worker: ``optimise``, ``frontier`` or ``demand`` of
a stored scenario body, or a ``matrix`` too large to answer at once (`run_job`).

The task talks to the server that submitted it through the Dask scheduler only, so it
runs the same on a local cluster and on a remote one: progress goes out as events on
the topic `PROGRESS_TOPIC` (at most one per `PROGRESS_EVERY_S`), and the job is cancelled
by setting the Dask `distributed.Event` named `cancel_event_name` (looked at every
`STOP_EVERY_S` by the search: ``stop()`` ends it, and diary planning stops at its next
progress report).
"""

from __future__ import annotations

import base64
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from maasmix.api.settings import Settings
from maasmix.errors import MaasmixError, ScenarioError

__all__ = [
    "PROGRESS_TOPIC",
    "JobCancelled",
    "cancel_event_name",
    "inline_report",
    "run_job",
]

#: The Dask event topic of job progress: ``{"job", "progress", "message"}`` messages.
PROGRESS_TOPIC = "maasmix-job-progress"
#: Shortest time between two progress events of one job (s).
PROGRESS_EVERY_S = 0.5
#: Shortest time between two looks at a job's cancel event (s).
STOP_EVERY_S = 0.25
#: Trip diary rows a job may make the workers plan.
MAX_JOB_DIARY_ROWS = 50_000


class JobCancelled(MaasmixError):
    """The job's cancel event was set while it ran."""


def cancel_event_name(job_id: str) -> str:
    """The name of the Dask event that cancels job ``job_id``."""
    return f"maasmix-job-cancel-{job_id}"


class _Channel:
    """Progress out and cancel in, through the Dask scheduler (no-ops off a worker)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._client: Any = None
        self._event: Any = None
        try:
            from distributed import Event, get_client

            self._client = get_client()
            self._event = Event(cancel_event_name(job_id), client=self._client)
        except ValueError:  # not inside a Dask task
            pass
        self._sent = 0.0
        self._looked = 0.0
        self._stopped = False

    def progress(self, fraction: float, message: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if self._client is None or (not force and now - self._sent < PROGRESS_EVERY_S):
            return
        self._sent = now
        self._client.log_event(
            PROGRESS_TOPIC,
            {"job": self.job_id, "progress": float(fraction), "message": message},
        )

    def stop(self) -> bool:
        if self._stopped:
            return True
        now = time.monotonic()
        if self._event is None or now - self._looked < STOP_EVERY_S:
            return False
        self._looked = now
        self._stopped = bool(self._event.is_set())
        return self._stopped


def inline_report(folder: Path) -> str:
    """``folder/index.html`` as one document: its PNG plots embedded as data URIs."""
    html = (folder / "index.html").read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        name = match.group(1)
        path = folder / name
        if "/" in name or not path.is_file():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'src="data:image/png;base64,{data}"'

    return re.sub(r'src="([^"]+\.png)"', embed, html)


def _prepared(
    body: dict[str, Any], settings: Settings, channel: _Channel, share: float
) -> tuple[Any, Any]:
    """The validated scenario (its ``limits:`` capped at the service's) and, for diary
    segments, the derived demand (progress up to ``share``)."""
    from maasmix.pricing import validate_scenario
    from maasmix.pricing.demand.diaries import derive_demand, diary_segments
    from maasmix.pricing.scenario import limits as scenario_limits

    cap = "deployment setting MAASMIX_SCENARIO_LIMITS__<FIELD>"
    with scenario_limits.capped(settings.scenario_limits, cap):
        scn = validate_scenario(body, file="stored scenario")
    if not diary_segments(scn):
        return scn, None

    def planned(done: int, total: int) -> None:
        if channel.stop():
            raise JobCancelled("cancelled while planning the diary trips")
        channel.progress(share * done / max(total, 1), f"planned {done} of {total} trips")

    demand = derive_demand(
        scn,
        base_dir=settings.data,
        workers=0,
        scheduler=None,
        folder=Path(settings.cache_dir) / "demand",
        cache_dir=str(settings.cache_dir),
        max_rows=MAX_JOB_DIARY_ROWS,
        on_progress=planned,
    )
    return demand.scenario, demand


def _search_progress(channel: _Channel, start: float, width: float) -> Callable[[Any], None]:
    def report(p: Any) -> None:
        if p.total:
            fraction = min(1.0, p.explored / p.total)
        else:
            fraction = min(1.0, p.elapsed_s / max(p.time_limit_s, 1e-9))
        channel.progress(start + width * fraction, f"{p.method}: {p.explored} {p.unit}")

    return report


def _report(subject: Any, demand: Any) -> str:
    from maasmix.pricing.report import write_report

    with tempfile.TemporaryDirectory(prefix="maasmix-report-") as tmp:
        folder = Path(tmp)
        write_report(subject, folder, demand=demand)
        return inline_report(folder)


def _optimise(body: dict[str, Any], params: dict[str, Any], settings: Settings, ch: _Channel):  # type: ignore[no-untyped-def]
    from maasmix.api.schemas.jobs import OptimiseJobIn
    from maasmix.pricing import SolverOptions, optimise

    asked = OptimiseJobIn.model_validate(params)
    scn, demand = _prepared(body, settings, ch, 0.5)
    base = 0.5 if demand is not None else 0.0
    options = SolverOptions.from_spec(
        scn.solver, name=asked.solver, time_limit_s=asked.time_limit_s
    )
    result = optimise(
        scn,
        objective=asked.objective,
        min_uptake=asked.min_uptake,
        options=options,
        progress=_search_progress(ch, base, 1.0 - base),
        stop=ch.stop,
    )
    return result.to_dict(), result, demand


def _frontier(body: dict[str, Any], params: dict[str, Any], settings: Settings, ch: _Channel):  # type: ignore[no-untyped-def]
    from maasmix.api.schemas.jobs import FrontierJobIn
    from maasmix.pricing import SolverOptions, frontier

    asked = FrontierJobIn.model_validate(params)
    scn, demand = _prepared(body, settings, ch, 0.5)
    base = 0.5 if demand is not None else 0.0
    options = SolverOptions.from_spec(
        scn.solver, name=asked.solver, time_limit_s=asked.time_limit_s
    )

    def point(i: int, n: int, _: Any) -> None:
        ch.progress(base + (1.0 - base) * i / max(n, 1), f"{i} of {n} points", force=True)

    front = frontier(
        scn,
        sweep=asked.sweep,
        points=asked.points,
        options=options,
        progress=point,
        stop=ch.stop,
    )
    return front.to_dict(), front, demand


def _demand(body: dict[str, Any], settings: Settings, ch: _Channel) -> dict[str, Any]:
    scn, demand = _prepared(body, settings, ch, 1.0)
    if demand is None:
        raise ScenarioError("no segment names a diary", field="segments")
    return {
        "scenario": scn.model_dump(mode="json", exclude_none=True),
        "summary": demand.summary,
        "usage": demand.usage.to_dict(orient="records"),
        "mode_shift": demand.mode_shift.to_dict(orient="records"),
        "emissions": demand.emissions.to_dict(orient="records"),
    }


def _matrix(job_id: str, body: dict[str, Any], settings: Settings, ch: _Channel) -> dict[str, Any]:
    """A travel-time matrix in origin chunks (`maasmix.api.analysis.run_chunks` in this
    worker, the network built here from its files), answered as ``POST /v1/matrix``
    answers a small one. ``body``: ``args`` (`NetworkArgs`), ``spec`` (`AnalysisSpec`),
    ``origins``, ``destinations`` (``id, lat, lon`` frames), ``network`` (its name),
    ``chunk_origins``."""
    import shutil

    from maasmix.api.analysis import run_chunks
    from maasmix.api.routes.analysis import matrix_answer

    folder = Path(settings.cache_dir).expanduser() / "matrix-jobs" / job_id

    def chunk(done: int, total: int) -> None:
        if ch.stop():
            raise JobCancelled("cancelled while computing the matrix")
        ch.progress(0.99 * done / max(total, 1), f"{done} of {total} origin chunks")

    try:
        run = run_chunks(
            body["args"],
            body["spec"],
            body["origins"],
            body["destinations"],
            folder,
            chunk_origins=int(body["chunk_origins"]),
            workers=0,
            on_chunk=chunk,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    spec = body["spec"]
    cutoff = spec.cutoff if spec.cutoff is not None else spec.max_time
    answer = matrix_answer(run.frame, str(body["network"]), list(spec.percentiles), cutoff)
    return answer.model_dump(mode="json", by_alias=True)


def run_job(
    job_id: str,
    kind: str,
    body: dict[str, Any],
    params: dict[str, Any],
    settings: Settings,
) -> dict[str, Any]:
    """Run one job; ``{"body": result JSON, "report": HTML or None, "stopped": bool}``
    (``stopped``: the cancel event ended the work early). Raises `JobCancelled` when
    cancelled before a result exists, a `maasmix.errors.MaasmixError` for bad input."""
    from maasmix.api.settings import apply_settings

    apply_settings(settings)
    channel = _Channel(job_id)
    channel.progress(0.0, "started", force=True)
    if kind == "demand":
        return {"body": _demand(body, settings, channel), "report": None, "stopped": False}
    if kind == "matrix":
        out = _matrix(job_id, body, settings, channel)
        return {"body": out, "report": None, "stopped": False}
    if kind == "optimise":
        out, subject, demand = _optimise(body, params, settings, channel)
    elif kind == "frontier":
        out, subject, demand = _frontier(body, params, settings, channel)
    else:
        raise ValueError(f"unknown job kind {kind!r}")
    if channel.stop():
        return {"body": out, "report": None, "stopped": True}
    channel.progress(0.99, "writing the report", force=True)
    return {"body": out, "report": _report(subject, demand), "stopped": False}
