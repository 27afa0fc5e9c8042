"""From trips to demand: plan a scenario's diary segments and derive their usage and values.

A segment may say ``diary: FILE`` instead of typing its usage and tastes; the scenario's
``planning`` block names the network (GTFS, OSM, GBFS, date, as ``maasmix plan``), which
legs count as which mode (`maasmix.pricing.demand.leg_mapping`), the generalised cost and the
car alternative. `derive_demand`:

1. reads every diary (`maasmix.feeds.diaries`) and builds the network once here (to
   check that every leg type it can produce is mapped, and that every trip lies in it);
2. plans every trip once (`maasmix.pricing.demand.planning`), in chunks on Dask,
   resumably (`maasmix.pricing.demand.jobs`); the plans are stored beside the scenario;
3. evaluates pay as you go, every candidate bundle and every offer on those plans
   (`maasmix.pricing.demand.choice`);
4. turns each diary segment into a plain segment: ``size`` (the persons' weights),
   ``usage`` paying as you go and ``derived`` figures per product (usage while
   subscribed and the money value per traveller per month); latent classes, mixed
   draws, the constant and the price sensitivity stay as written.

The result (`DerivedDemand`) holds that derived scenario, which the optimiser solves like
any other (nothing is modelled that the derived file does not show), and the tables an
analyst reads: usage per segment, product and mode; the mode shift each product causes;
CO2e per traveller per month. With ``store`` they are written to ``<scenario>.demand/``
beside the scenario file (``demand.yaml``, ``usage.csv``, ``mode_shift.csv``,
``emissions.csv``, ``values.csv``, ``trips.parquet``, ``persons.parquet``,
``summary.json``); a later run whose inputs have the
same hashes reads them instead of planning again, and a run that was interrupted plans
only the chunks it had not finished.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from maasmix import __version__
from maasmix.engine.planner import parse_modes
from maasmix.errors import DiaryError, FeedWarning, QueryError, ScenarioError
from maasmix.feeds.diaries import Diary, read_diary
from maasmix.money import minor_per_major
from maasmix.pricing.demand.choice import (
    MAIN_MODES,
    MODEL_VERSION,
    Evaluation,
    evaluate,
    params_from,
)
from maasmix.pricing.demand.example import example_inputs
from maasmix.pricing.demand.jobs import NetworkArgs, PlanRun, plan_chunks
from maasmix.pricing.demand.leg_mapping import check_network
from maasmix.pricing.demand.planning import plan_spec
from maasmix.pricing.demand.typed import offer_includes
from maasmix.pricing.scenario import Scenario, load_scenario, validate_scenario
from maasmix.pricing.scenario.candidates import candidate_bundles

__all__ = ["DerivedDemand", "derive_demand", "diary_segments", "store_folder"]

#: Diary points may lie this far outside the network's bounding box, metres.
BBOX_MARGIN_M = 2000.0


@dataclass
class DerivedDemand:
    """What planning the diaries gave (see the module docstring).

    ``scenario``: the derived plain scenario; ``usage``: one row per (segment, product,
    mode) with columns ``segment``, ``product`` (``""`` pay as you go), ``mode``,
    ``unit``, ``per_traveller`` (units per month), ``total`` (x segment size);
    ``mode_shift``: (segment, product, main mode) with ``payg_trips``, ``trips``,
    ``change`` (trips per month, whole segment); ``emissions``: (segment, product) with
    ``payg_kg``, ``kg`` per traveller per month and ``saved_kg`` (whole segment, per
    month, if every traveller subscribed); ``trips``: the itineraries taken per (diary,
    segment, row, product): ``cand``, ``combination``, ``main`` and ``share`` (of the
    trip's monthly occurrences, or its logit probability); ``values``: (segment,
    product) with ``spend_minor`` (the trips' money out of pocket, bundle price not
    included), ``cost_minor`` (generalised cost) and ``value_minor`` (pay as you go minus
    with the product), per traveller per month; ``persons``: the same per person
    (``person_id``, ``segment``, ``weight``, ``product``, ``spend_minor``,
    ``value_minor``); ``summary``: counts and timings.
    """

    scenario: Scenario
    usage: pd.DataFrame
    mode_shift: pd.DataFrame
    emissions: pd.DataFrame
    trips: pd.DataFrame
    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    persons: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None


def diary_segments(scenario: Scenario) -> dict[str, str]:
    """Segment id -> diary file (as written) of every diary segment."""
    return {sid: seg.diary for sid, seg in scenario.segments.items() if seg.diary is not None}


def store_folder(scenario_path: Path) -> Path:
    """Where the derived demand of a scenario file is stored: ``<stem>.demand/`` beside it."""
    return scenario_path.with_name(f"{scenario_path.stem}.demand")


def _hash_path(path: Path, h: Any) -> None:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(child.relative_to(path)).encode())
            _hash_path(child, h)
        return
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def _resolve(base: Path, name: str, field_name: str) -> Path:
    path = (base / name).resolve()
    if not path.exists():
        raise ScenarioError(f"file not found: {name}", field=field_name)
    return path


def _network_args(scenario: Scenario, base: Path, cache_dir: str | None) -> NetworkArgs:
    assert scenario.planning is not None
    net = scenario.planning.network
    if not net.gtfs:
        raise ScenarioError("give at least one GTFS feed", field="planning.network.gtfs")
    gtfs = tuple(
        str(_resolve(base, g, f"planning.network.gtfs.{i}")) for i, g in enumerate(net.gtfs)
    )
    gbfs = tuple(
        str(_resolve(base, g, f"planning.network.gbfs.{i}")) for i, g in enumerate(net.gbfs)
    )
    osm = None if net.osm is None else str(_resolve(base, net.osm, "planning.network.osm"))
    contains: str | tuple[tuple[str, str], ...] | None
    if isinstance(net.fare_contains, dict):
        contains = tuple(sorted(net.fare_contains.items()))
    else:
        contains = net.fare_contains
    return NetworkArgs(gtfs, osm, gbfs, net.date.isoformat(), contains, cache_dir)


def _check_points(diary: Diary, trips: pd.DataFrame, bbox: tuple[float, ...]) -> None:
    """DiaryError for the first trip end outside the network's box (plus a margin)."""
    west, south, east, north = bbox
    dlat = BBOX_MARGIN_M / 111_320.0
    dlon = dlat / max(math.cos(math.radians((south + north) / 2)), 0.01)
    for end in ("origin", "destination"):
        lat = trips[f"{end}_lat"].to_numpy()
        lon = trips[f"{end}_lon"].to_numpy()
        bad = (
            (lat < south - dlat) | (lat > north + dlat) | (lon < west - dlon) | (lon > east + dlon)
        )
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DiaryError(
                f"({lat[i]:.5f}, {lon[i]:.5f}) lies outside the network (west {west:.4f}, "
                f"south {south:.4f}, east {east:.4f}, north {north:.4f})",
                file=diary.path,
                row=int(trips["row"].iloc[i]),
                field=f"{end}_lat",
            )


def _products(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Every candidate bundle and offer by name: units included per mode."""
    out = {b.name: dict(b.includes) for b in candidate_bundles(scenario)}
    for oid, inc in offer_includes(scenario).items():
        out.setdefault(oid, inc)
    return out


def _plain_segment(
    scenario: Scenario, sid: str, ev: Evaluation, products: Mapping[str, Mapping[str, float]]
) -> dict[str, Any]:
    """The derived segment as scenario data (major units)."""
    seg = scenario.segments[sid].model_dump(mode="json", exclude_none=True)
    per_major = minor_per_major(scenario.currency)
    w = ev.weight
    size = float(w.sum())
    base = ev.products.index("")

    def mean_units(p: int) -> dict[str, float]:
        return {m: round(float(w @ ev.units[p, :, i]) / size, 6) for i, m in enumerate(ev.modes)}

    seg.pop("diary", None)
    seg["size"] = round(size, 6)
    seg["usage"] = {m: {"payg": u} for m, u in mean_units(base).items()}
    seg["derived"] = {
        name: {
            "usage": mean_units(ev.products.index(name)),
            "value": round(float(w @ ev.value(name)) / size / per_major, 6),
        }
        for name in products
    }
    seg.get("choice", {}).pop("taste", None)
    return seg


def _tables(
    scenario: Scenario, sid: str, ev: Evaluation
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the usage, mode-shift and emissions tables for one segment."""
    w = ev.weight
    size = float(w.sum())
    base = ev.products.index("")
    usage, shift, co2 = [], [], []
    for p, name in enumerate(ev.products):
        for i, m in enumerate(ev.modes):
            per = float(w @ ev.units[p, :, i]) / size
            unit = scenario.modes[m].unit
            usage.append(
                {"segment": sid, "product": name, "mode": m, "unit": unit}
                | {"per_traveller": per, "total": per * size}
            )
        for k, main in enumerate(MAIN_MODES):
            before = float(w @ ev.trips[base, :, k])
            after = float(w @ ev.trips[p, :, k])
            if before or after:
                shift.append(
                    {"segment": sid, "product": name, "main": main}
                    | {"payg_trips": before, "trips": after, "change": after - before}
                )
        payg_kg = float(w @ ev.co2e_g[base]) / size / 1000.0
        kg = float(w @ ev.co2e_g[p]) / size / 1000.0
        co2.append(
            {"segment": sid, "product": name, "payg_kg": payg_kg, "kg": kg}
            | {"saved_kg": (payg_kg - kg) * size}
        )
    return usage, shift, co2


def _values(sid: str, ev: Evaluation) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """The values table's rows for one segment, and its persons' values per product."""
    w = ev.weight
    size = float(w.sum())
    rows = []
    persons = []
    for p, name in enumerate(ev.products):
        value = ev.value(name)
        rows.append(
            {"segment": sid, "product": name}
            | {
                "spend_minor": float(w @ ev.spend[p]) / size,
                "cost_minor": float(w @ ev.cost[p]) / size,
                "value_minor": float(w @ value) / size,
            }
        )
        persons.append(
            pd.DataFrame(
                {
                    "person_id": np.asarray(ev.persons, dtype=object),
                    "segment": sid,
                    "weight": w,
                    "product": name,
                    "spend_minor": ev.spend[p],
                    "value_minor": value,
                }
            )
        )
    return rows, pd.concat(persons, ignore_index=True)


def _keys(scenario: Scenario, diaries: Mapping[str, Diary], args: NetworkArgs) -> tuple[str, str]:
    """(plan key, choice key): hashes of what the plans, and then the choices, depend on."""
    assert scenario.planning is not None
    h = hashlib.sha256()
    for name in sorted(diaries):
        h.update(f"{name}:{diaries[name].sha256}".encode())
    for path in (*args.gtfs, *(args.gbfs), *([args.osm] if args.osm else [])):
        h.update(path.encode())
        _hash_path(Path(path), h)
    planning = scenario.planning.model_dump(mode="json", exclude={"cost"})
    modes = {m: spec.model_dump(mode="json") for m, spec in scenario.modes.items()}
    h.update(
        json.dumps(
            [planning, modes, scenario.currency, args.fare_contains], sort_keys=True, default=str
        ).encode()
    )
    h.update(__version__.encode())
    plan_key = h.hexdigest()
    c = hashlib.sha256(plan_key.encode())
    segments = {
        sid: seg.model_dump(mode="json") for sid, seg in scenario.segments.items() if seg.diary
    }
    products = {
        k: sorted((m, str(v)) for m, v in inc.items()) for k, inc in _products(scenario).items()
    }
    cost = scenario.planning.cost.model_dump(mode="json")
    c.update(json.dumps([segments, products, cost, MODEL_VERSION], sort_keys=True).encode())
    return plan_key, c.hexdigest()


def derive_demand(
    scenario: Scenario | str | Path,
    *,
    base_dir: str | Path | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    store: bool = True,
    fresh: bool = False,
    cache_dir: str | None = None,
    folder: str | Path | None = None,
    max_rows: int = 5_000_000,
    on_progress: Callable[[int, int], None] | None = None,
) -> DerivedDemand:
    """Plan the diary segments of ``scenario`` and derive their demand (module docstring).

    ``scenario``: a scenario file (its folder resolves the files it names) or a
    `Scenario` with ``base_dir``. ``workers``: local Dask workers (0: plan in this
    process); ``scheduler``: a Dask scheduler address instead. ``store``: keep plans and
    results in ``<scenario>.demand/`` (a `Scenario` without a file keeps them only when
    ``base_dir`` is given, as ``<base_dir>/<name>.demand/``; ``folder`` names another
    place, e.g. a server's cache); ``fresh``: plan every trip again (stored plans and
    results are replaced); ``max_rows``: the
    largest diary read. ``on_progress(trips_done, trips_total)`` reports planning
    progress.

    Raises
    ------
    ScenarioError
        No diary segment, no ``planning``, a missing file, an unmapped leg type (field
        ``planning.legs``).
    DiaryError
        A bad diary, a segment with no rows in its diary, a trip outside the network or
        one the planner refuses (file, row and field named).
    """
    default_folder: Path | None
    if isinstance(scenario, Scenario):
        scn = scenario
        base = Path(base_dir or ".").resolve()
        default_folder = (base / f"{_slug(scn.name)}.demand") if (store and base_dir) else None
    else:
        # the shipped diary example's files are built into the cache when missing
        path = example_inputs(scenario, cache_dir)
        scn = load_scenario(path)
        base = Path(base_dir).resolve() if base_dir else path.parent
        default_folder = store_folder(path) if store else None
    if store and folder is not None:
        target: Path | None = Path(folder)
    else:
        target = None
    segments = diary_segments(scn)
    if not segments:
        raise ScenarioError("no segment names a diary", field="segments")
    assert scn.planning is not None
    diaries: dict[str, Diary] = {}
    for sid, name in segments.items():
        if name not in diaries:
            diaries[name] = read_diary(
                _resolve(base, name, f"segments.{sid}.diary"), max_rows=max_rows
            )
        if sid not in diaries[name].segments:
            raise DiaryError(
                f"no row of segment {sid!r} (segments in the diary: "
                f"{', '.join(diaries[name].segments)})",
                file=diaries[name].path,
                field="segment",
            )
    args = _network_args(scn, base, cache_dir)
    plan_key, choice_key = _keys(scn, diaries, args)
    out = target / plan_key[:24] if target is not None else default_folder
    if out is not None and not fresh:
        stored = _load(out, choice_key)
        if stored is not None:
            return stored
    network = args.build()
    try:
        modes = parse_modes(scn.planning.modes)
    except QueryError as exc:
        raise ScenarioError(str(exc.args[0]), field="planning.modes") from None
    spec0 = plan_spec(scn, network, "")
    problems = check_network(spec0.mapping, network, car=scn.planning.car is not None, modes=modes)
    if problems:
        raise ScenarioError(
            "planning.legs neither maps nor ignores: " + "; ".join(problems),
            field="planning.legs",
        )
    runs: dict[str, PlanRun] = {}
    scratch = None if out is not None else Path(tempfile.mkdtemp(prefix="maasmix-plans-"))
    try:
        for n, (name, diary) in enumerate(sorted(diaries.items())):
            trips = diary.trips[diary.trips["segment"].isin(list(segments))]
            _check_points(diary, trips, network.compiled.bbox)
            spec = plan_spec(scn, network, diary.path)
            root = out if out is not None else scratch
            assert root is not None
            plans = root / f"plans-{plan_key[:16]}-{n}"
            if fresh:
                shutil.rmtree(plans, ignore_errors=True)
            runs[name] = plan_chunks(
                args,
                spec,
                trips.reset_index(drop=True),
                plans,
                chunk_trips=scn.planning.chunk_trips,
                workers=workers,
                scheduler=scheduler,
                on_chunk=on_progress,
            )
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return _derive(scn, segments, diaries, runs, out, choice_key)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "scenario"


def _derive(
    scn: Scenario,
    segments: Mapping[str, str],
    diaries: Mapping[str, Diary],
    runs: Mapping[str, PlanRun],
    folder: Path | None,
    choice_key: str,
) -> DerivedDemand:
    """Evaluate every product on the plans and build the derived scenario and tables."""
    assert scn.planning is not None
    products = _products(scn)
    per_major = minor_per_major(scn.currency)
    cost = scn.planning.cost
    data = scn.model_dump(mode="json", exclude_none=True)
    usage_rows: list[dict[str, Any]] = []
    shift_rows: list[dict[str, Any]] = []
    co2_rows: list[dict[str, Any]] = []
    value_rows: list[dict[str, Any]] = []
    person_frames: list[pd.DataFrame] = []
    chosen_frames: list[pd.DataFrame] = []
    evaluations = shared = 0
    for sid, name in segments.items():
        seg = scn.segments[sid]
        trips = diaries[name].trips
        trips = trips[trips["segment"] == sid]
        params = params_from(
            seg.value_of_time or cost.value_of_time,
            cost.walk_weight,
            cost.wait_weight,
            cost.transfer_penalty_min,
            cost.scale,
            per_major,
        )
        cands = runs[name].candidates
        ev = evaluate(cands, trips, products, list(scn.modes), params)
        evaluations += ev.evaluations
        shared += ev.evaluations_shared
        data["segments"][sid] = _plain_segment(scn, sid, ev, products)
        u, s, c = _tables(scn, sid, ev)
        usage_rows += u
        shift_rows += s
        co2_rows += c
        v, people = _values(sid, ev)
        value_rows += v
        person_frames.append(people)
        seg_cands = cands.set_index(["row", "cand"])
        for product, chosen in ev.chosen.items():
            idx = pd.MultiIndex.from_arrays([chosen["row"], chosen["cand"]])
            picked = seg_cands.loc[idx, ["combination", "main"]].reset_index()
            picked.insert(0, "diary", name)
            picked.insert(1, "segment", sid)
            picked.insert(3, "product", product)
            picked["share"] = chosen["share"].to_numpy()
            chosen_frames.append(picked)
    data.pop("planning", None)
    derived = validate_scenario(data)
    n_trips = sum(len(r.candidates["row"].unique()) + len(r.unplanned) for r in runs.values())
    summary = {
        "trips": int(sum(len(d.trips) for d in diaries.values())),
        "trips_planned_now": int(sum(r.trips_planned for r in runs.values())),
        "trips_without_itinerary": int(sum(len(r.unplanned) for r in runs.values())),
        "itineraries": int(sum(len(r.candidates) for r in runs.values())),
        "products": len(products) + 1,
        "plans": n_trips,
        "searches": int(sum(r.queries for r in runs.values())),
        "plans_if_planned_per_product": n_trips * (len(products) + 1),
        "plans_saved_share": 1.0 - 1.0 / (len(products) + 1),
        "evaluations": evaluations,
        "evaluations_shared": shared,
        "evaluations_saved_share": shared / max(evaluations + shared, 1),
        "fallback_share": float(
            np.mean(np.concatenate([r.candidates["fallback"].to_numpy() for r in runs.values()]))
        )
        if any(len(r.candidates) for r in runs.values())
        else 0.0,
        "chunks": int(sum(r.chunks for r in runs.values())),
        "chunks_resumed": int(sum(r.chunks_resumed for r in runs.values())),
        "planning_s": round(sum(r.seconds for r in runs.values()), 3),
        "workers": max((r.workers for r in runs.values()), default=0),
    }
    result = DerivedDemand(
        scenario=derived,
        usage=pd.DataFrame(usage_rows),
        mode_shift=pd.DataFrame(
            shift_rows, columns=["segment", "product", "main", "payg_trips", "trips", "change"]
        ),
        emissions=pd.DataFrame(co2_rows),
        values=pd.DataFrame(value_rows),
        persons=pd.concat(person_frames, ignore_index=True),
        trips=pd.concat(chosen_frames, ignore_index=True) if chosen_frames else pd.DataFrame(),
        summary=summary,
        folder=folder,
    )
    if folder is not None:
        _save(folder, result, data, choice_key)
    return result


_HEADER = """\
# Derived by maasmix from the scenario's trip diaries (maasmix bundles demand): every
# diary segment is a plain segment with pay-as-you-go usage and, per bundle and offer,
# the usage while subscribed and the money value per traveller per month. Solving this
# file gives the same result as solving the diary scenario.
"""


def _save(folder: Path, result: DerivedDemand, data: dict[str, Any], key: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    (folder / "demand.yaml").write_text(text, encoding="utf-8")
    result.usage.to_csv(folder / "usage.csv", index=False)
    result.mode_shift.to_csv(folder / "mode_shift.csv", index=False)
    result.emissions.to_csv(folder / "emissions.csv", index=False)
    result.trips.to_parquet(folder / "trips.parquet", index=False)
    result.values.to_csv(folder / "values.csv", index=False)
    result.persons.to_parquet(folder / "persons.parquet", index=False)
    summary = {"key": key, **result.summary}
    tmp = folder / ".summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    tmp.replace(folder / "summary.json")  # written last: its key marks a complete result


def _load(folder: Path, key: str) -> DerivedDemand | None:
    """The stored result when its key is ``key`` (else None)."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if summary.get("key") != key:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FeedWarning)
            derived = load_scenario(folder / "demand.yaml")
        usage = pd.read_csv(folder / "usage.csv", keep_default_na=False)
        shift = pd.read_csv(folder / "mode_shift.csv", keep_default_na=False)
        co2 = pd.read_csv(folder / "emissions.csv", keep_default_na=False)
        trips = pd.read_parquet(folder / "trips.parquet")
        values = pd.read_csv(folder / "values.csv", keep_default_na=False)
        persons = pd.read_parquet(folder / "persons.parquet")
    except (OSError, ValueError, ScenarioError):
        return None
    summary.pop("key")
    summary["loaded"] = True
    return DerivedDemand(
        scenario=derived,
        usage=usage,
        mode_shift=shift,
        emissions=co2,
        trips=trips,
        values=values,
        persons=persons,
        summary=summary,
        folder=folder,
    )


def product_label(name: str) -> str:
    """``"pay as you go"`` for ``""``, else the product's name."""
    return name or "pay as you go"
