"""Notices of a plan: facts the caller should know about the answer (crow-fly streets,
the age of each GBFS snapshot against the planned time, stations without status)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from maasmix.engine.plan_query import Query

__all__ = ["notices"]


def notices(q: Query, moment: dt.datetime, modes: Sequence[str]) -> list[str]:
    out: list[str] = []
    if q.crow:
        out.append(
            f"no street network: street legs are crow-fly distance x {q.cn.detour_factor:g} "
            "(detour factor), with straight-line geometry"
        )
    if any(m.endswith("_RENTAL") for m in modes):
        for r in q.net.rentals:
            age = (moment - r.last_updated).total_seconds()
            if abs(age) > max(r.snapshot.system.ttl_s, 60) * 2:
                side = "before" if age > 0 else "after"
                out.append(
                    f"GBFS {r.system_id}: the snapshot is of {r.last_updated.isoformat()}, "
                    f"{_span(abs(age))} {side} the planned time; availability is as it was then"
                )
            if not r.has_status:
                extra = "assumed available" if q.opt.assume_available else "not used for rentals"
                out.append(f"GBFS {r.system_id}: stations without live status ({extra})")
    return out


def _span(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
