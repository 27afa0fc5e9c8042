"""Travel-time matrices: every entry against the router's own earliest arrivals, the
percentiles recomputed here, door-to-door samples against the planner, bad input."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from maasmix.engine._raptor_kernel import INF
from maasmix.engine.matrix import MatrixSearch, TravelTimeMatrix, travel_time_matrix
from maasmix.engine.network import Network
from maasmix.engine.raptor import one_to_all
from maasmix.errors import FeedWarning, InputError, QueryError
from maasmix.geodesy import haversine_m

pytestmark = pytest.mark.slow

CENTRE = (24.9360, 60.1650, 24.9525, 60.1785)
"""Inside the Helsinki OSM extract (west, south, east, north)."""


def _load(dataset: Callable[..., Path], cache: Path, osm: bool) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            osm=dataset("osm-helsinki", "Helsinki.osm.pbf") if osm else None,
            date="20220222",
            cache_dir=cache,
        )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def streets(dataset: Callable[..., Path], cache: Path) -> Network:
    return _load(dataset, cache, osm=True)


@pytest.fixture(scope="module")
def crow(dataset: Callable[..., Path], cache: Path) -> Network:
    return _load(dataset, cache, osm=False)


def _points(n: int, seed: int, bbox: tuple[float, float, float, float] = CENTRE) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "lat": rng.uniform(bbox[1], bbox[3], n),
            "lon": rng.uniform(bbox[0], bbox[2], n),
        }
    )


def _walk_secs(net: Network, lat: float, lon: float, to_lat: np.ndarray, to_lon: np.ndarray,
               to_node: np.ndarray, to_link: np.ndarray) -> np.ndarray:  # fmt: skip
    """Walking seconds from a point to points, computed here: scipy's Dijkstra on the
    walking graph (links crow-fly at walking speed), or haversine x detour without OSM."""
    cn = net.compiled
    ws = cn.walk_speed
    if cn.walk is None:
        return haversine_m(lat, lon, to_lat, to_lon) * cn.detour_factor / ws
    g = cn.walk
    node, link = g.nearest([lat], [lon])
    src = np.repeat(np.arange(g.n_nodes), np.diff(g.ptr))
    # keep the shortest of parallel edges (csr_matrix would add them)
    frame = pd.DataFrame({"u": src, "v": g.to, "w": g.length_m}).groupby(["u", "v"]).min()
    u = frame.index.get_level_values(0).to_numpy()
    v = frame.index.get_level_values(1).to_numpy()
    m = csr_matrix((frame["w"].to_numpy() / ws, (u, v)), shape=(g.n_nodes, g.n_nodes))
    d = dijkstra(m, indices=int(node[0]))
    return np.where(to_node >= 0, d[np.maximum(to_node, 0)] + link[0] / ws + to_link / ws, np.inf)


def _expected(net: Network, s: MatrixSearch, lat: float, lon: float) -> np.ndarray:
    """Travel seconds [destination, departure] from the router's one-to-all RAPTOR per
    departure minute, with access and egress walking computed here."""
    cn = net.compiled
    tt = cn.timetable
    served = cn.served
    to_stop = _walk_secs(net, lat, lon, tt.stop_lat, tt.stop_lon, cn.stop_walk_node,
                         cn.stop_walk_m)  # fmt: skip
    to_stop = np.where(served, to_stop, np.inf)
    access = np.flatnonzero(to_stop <= s.max_access_walk_s)
    offsets = np.ceil(to_stop[access]).astype(np.int64)
    d = s.dest
    direct = _walk_secs(net, lat, lon, d.lat, d.lon, d.node, d.link_m)
    direct = np.where(direct <= s.max_time_s, np.ceil(direct), np.inf)
    # egress: walking from every stop to each destination (the same walk, reversed)
    egress = []
    for j in range(len(d.ids)):
        w = _walk_secs(net, d.lat[j], d.lon[j], tt.stop_lat, tt.stop_lon, cn.stop_walk_node,
                       cn.stop_walk_m)  # fmt: skip
        w = np.where(served & (w <= s.max_egress_walk_s), np.ceil(w), np.inf)
        egress.append(w)
    out = np.full((len(d.ids), len(s.departures)), INF, dtype=np.int64)
    for k, tau in enumerate(s.departures.tolist()):
        arr = one_to_all(
            tt, access, tau, origin_offsets=offsets, max_transfers=s.max_rides - 1,
            min_transfer_s=net.min_transfer_s,
        ).astype(np.float64)  # fmt: skip
        arr[arr >= INF] = np.inf
        for j in range(len(d.ids)):
            best = min(float(np.min(arr + egress[j])) - tau, float(direct[j]))
            if best <= s.max_time_s:
                out[j, k] = int(best)
    return out


def _nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    v = ordered[rank - 1]
    return v


@pytest.mark.parametrize("which", ["streets", "crow"])
def test_every_entry_is_the_routers_earliest_arrival(
    which: str, request: pytest.FixtureRequest
) -> None:
    net: Network = request.getfixturevalue(which)
    origins = _points(4, 1)
    dests = _points(25, 2)
    pcts = [0, 10, 50, 90, 100]
    m = travel_time_matrix(net, origins, dests, "07:50", 15, pcts, max_time=45, max_rides=4)
    s = MatrixSearch(net, dests, departure_s=7 * 3600 + 50 * 60, window_s=900, max_time_s=2700,
                     max_rides=4)  # fmt: skip
    assert len(m) == 4 * 25 and len(s.departures) == 15
    assert list(m.columns) == ["from_id", "to_id", *[f"travel_time_p{p}" for p in pcts],
                               "share_within_45"]  # fmt: skip
    reached = 0
    for i, o in origins.iterrows():
        exp = _expected(net, s, float(o["lat"]), float(o["lon"]))
        got, _ = s.times(float(o["lat"]), float(o["lon"]))
        np.testing.assert_array_equal(got, exp)
        rows = m[m["from_id"] == o["id"]].reset_index(drop=True)
        assert rows["to_id"].tolist() == dests["id"].tolist()
        for j in range(len(dests)):
            mins = [v / 60 if v < INF else math.inf for v in exp[j].tolist()]
            reached += sum(math.isfinite(v) for v in mins)
            for p in pcts:
                want = _nearest_rank(mins, p)
                value = rows.loc[j, f"travel_time_p{p}"]
                if math.isinf(want):
                    assert math.isnan(value)
                else:
                    assert value == pytest.approx(want, abs=1e-9)
            share = sum(v <= 45 for v in mins) / len(mins)
            assert rows.loc[j, "share_within_45"] == pytest.approx(share)
        assert i is not None
    assert reached > 0.5 * 4 * 25 * 15  # the sample is mostly reachable: the test has teeth


def _walk_through_stops(net: Network, s: MatrixSearch, lat: float, lon: float) -> np.ndarray:
    """Seconds to each destination walking only: to a stop, at most one stop-to-stop
    footpath, then from a stop (a zero-ride path RAPTOR keeps and the planner drops)."""
    fp = net.compiled.timetable.footpaths
    stops, offsets, _, _ = s.access(lat, lon)
    at = np.full(net.compiled.timetable.n_stops, np.inf)
    at[stops] = offsets
    src = np.repeat(np.arange(len(fp.ptr) - 1), np.diff(fp.ptr))
    via = at[src] + fp.duration_s
    np.minimum.at(at, fp.to, via)
    out = np.full(s.n_dest, np.inf)
    for j in range(s.n_dest):
        a, b = int(s.eg_ptr[j]), int(s.eg_ptr[j + 1])
        if b > a:
            out[j] = float(np.min(at[s.eg_stop[a:b]] + s.eg_secs[a:b]))
    return out


def test_door_to_door_sample_agrees_with_the_planner(streets: Network) -> None:
    """Each entry is the planner's earliest arrival (walk, or walk + transit + walk) for
    that departure minute, or a walk through stop-to-stop footpaths when that is quicker."""
    net = streets
    origins = _points(3, 5)
    dests = _points(6, 6)
    s = MatrixSearch(net, dests, departure_s=8 * 3600, window_s=600, max_time_s=3600)
    from_planner = 0
    for _, o in origins.iterrows():
        lat, lon = float(o["lat"]), float(o["lon"])
        got, _ = s.times(lat, lon)
        walk = _walk_through_stops(net, s, lat, lon)
        for j, d in dests.iterrows():
            for k in (0, 7):
                tau = int(s.departures[k])
                when = dt.datetime(2022, 2, 22, tau // 3600, tau % 3600 // 60)
                plan = net.plan((lat, lon), (d["lat"], d["lon"]), when,
                                modes="WALK,TRANSIT", num_itineraries=50)  # fmt: skip
                best = min(it.arrival_s for it in plan.itineraries) - tau
                jj = int(str(j))
                assert int(got[jj, k]) == min(best, walk[jj])
                from_planner += int(got[jj, k]) == best
    assert from_planner >= 18  # most of the 36 answers are the planner's own


def test_result_is_a_dataframe_and_defaults(streets: Network) -> None:
    pts = _points(3, 9)
    m = TravelTimeMatrix(streets, pts, departure="08:00", window=5)
    assert isinstance(m, pd.DataFrame)
    assert list(m.columns) == ["from_id", "to_id", "travel_time_p50", "share_within_60"]
    diag = m[m["from_id"] == m["to_id"]]
    assert streets.compiled.walk is not None
    _, link = streets.compiled.walk.nearest(pts["lat"], pts["lon"])
    # a point to itself: to its nearest street node and back
    want = np.ceil(2 * link / streets.compiled.walk_speed) / 60
    np.testing.assert_allclose(diag["travel_time_p50"].to_numpy(), want)
    head = m.head(2)  # pandas operations give plain frames
    assert type(head) is pd.DataFrame


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"window": 0}, "window"),
        ({"window": 3 * 24 * 60}, "window"),
        ({"percentiles": [50, 101]}, "percentiles"),
        ({"percentiles": [-1]}, "percentiles"),
        ({"max_time": 0}, "max_time"),
        ({"departure": "tomorrow"}, "departure"),
        ({"access_modes": ["CAR"]}, "access_modes"),
    ],
)
def test_bad_parameters_name_the_field(
    crow: Network, kwargs: dict[str, object], parameter: str
) -> None:
    args: dict[str, object] = {"departure": "08:00", "window": 10, **kwargs}
    with pytest.raises(QueryError) as err:
        travel_time_matrix(crow, _points(2, 3), **args)  # type: ignore[arg-type]
    assert err.value.parameter == parameter


def test_bad_points_name_the_field(crow: Network, tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    empty = tmp_path / "origins.csv"
    empty.write_text("id,lat,lon\n")
    with pytest.raises(InputError, match="no points") as err:
        travel_time_matrix(crow, empty, window=5)
    assert err.value.file == str(empty)
    lines = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=[shapely.Point(24.94, 60.17), shapely.LineString([(24.9, 60.1), (24.95, 60.2)])],
        crs="EPSG:4326",
    )
    with pytest.raises(InputError) as err2:
        travel_time_matrix(crow, lines, window=5)
    assert err2.value.field == "geometry" and err2.value.row == 1


#: Per shared city: GTFS, GBFS, service date, departure, points, jitter (degrees), seed,
#: cutoff and max_time (minutes). Helsinki's snapshot has 10 city-bike stations within
#: about 1.3 km, so its cutoff is shorter.
_SHARED = {
    "helsinki": ([("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")], "gbfs-helsinki-hsl",
                 "20220222", "2022-02-22T08:00", 10, 0.002, 3, 15, 30),
    "bay-area": ([("gtfs-bay-area", "bart.zip"), ("gtfs-bay-area", "caltrain.zip")],
                 "gbfs-bay-area-baywheels", "20190305", "2019-03-05T08:00", 12, 0.003, 1, 30, 45),
}  # fmt: skip


@pytest.mark.parametrize("city", sorted(_SHARED))
def test_shared_vehicles_reach_more_never_less(
    dataset: Callable[..., Path], cache: Path, city: str
) -> None:
    """City bikes (the planner's rental chains) as first and last mile beside walking:
    every time is at most the walking one; the origins reaching more destinations within
    the cutoff (p50 over the window) are counted from the matrix and again, independently,
    by `accessibility` (a weight of 1 per destination, step decay) and `compare`."""
    from maasmix.engine.accessibility import accessibility, compare

    feeds, gbfs, date, when, n, jitter, seed, cutoff, max_time = _SHARED[city]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = Network.from_files(
            gtfs=[dataset(*f) for f in feeds], gbfs=[dataset(gbfs)], date=date, cache_dir=cache
        )
    r = net.rentals[0]
    rng = np.random.default_rng(seed)
    i = rng.choice(len(r.station_lat), n, replace=False)
    pts = pd.DataFrame(
        {
            "id": [f"s{k}" for k in range(n)],
            "lat": r.station_lat[i] + rng.normal(0, jitter, n),
            "lon": r.station_lon[i] + rng.normal(0, jitter, n),
            "one": 1,
        }
    )
    modes = {"access_modes": ["WALK", "RENTAL"], "egress_modes": ["walk", "bicycle_rental"]}
    walk = travel_time_matrix(net, pts, pts, when, 10, max_time=max_time, cutoff=cutoff)
    shared = travel_time_matrix(net, pts, pts, when, 10, max_time=max_time, cutoff=cutoff,
                                **modes)  # fmt: skip
    a = walk["travel_time_p50"].fillna(np.inf).to_numpy()
    b = shared["travel_time_p50"].fillna(np.inf).to_numpy()
    assert (b <= a).all() and (b < a).any()
    share = f"share_within_{cutoff}"
    assert (shared[share].to_numpy() >= walk[share].to_numpy()).all()

    def reach(m: pd.DataFrame) -> pd.Series:
        within = m["travel_time_p50"] <= cutoff
        # p50 (nearest rank of 10 departures: the 5th) within the cutoff <=> half of them
        assert (within == (m[share] >= 0.5)).all()
        return within.groupby(m["from_id"], sort=False).sum()

    more = int((reach(shared) > reach(walk)).sum())
    assert (reach(shared) >= reach(walk)).all() and more > 0
    # the same count from accessibility: destinations reached within the cutoff per origin
    acc = [
        accessibility(net, pts, pts, "one", when, 10, cutoffs=[cutoff], max_time=max_time, **m)
        for m in ({}, modes)
    ]
    np.testing.assert_array_equal(acc[0]["accessibility"], reach(walk).to_numpy())
    np.testing.assert_array_equal(acc[1]["accessibility"], reach(shared).to_numpy())
    _, line = compare(acc[0], acc[1], label="city bikes")
    assert line.endswith(f"; {more} gain, 0 lose)")


@pytest.fixture(scope="module")
def line() -> Network:
    """Two stops 11 km apart (crow-fly streets), two trips A -> B."""
    from maasmix.engine.network import compile_network
    from tests.engine.builders import make_day

    stops = {"A": (45.0, 9.0), "B": (45.1, 9.0)}
    trips = [
        ("t1", "R", [("A", "08:05:00", "08:05:00"), ("B", "08:20:00", "08:20:00")]),
        ("t2", "R", [("A", "08:25:00", "08:25:00"), ("B", "08:40:00", "08:40:00")]),
    ]
    return Network(compile_network(make_day(stops, trips), None))


def test_hand_computed_percentiles(line: Network) -> None:
    """Leaving A at 08:00 ... 08:05 for B takes the 08:05 trip (20 ... 15 minutes), at
    08:06 ... 08:09 the 08:25 one (34 ... 31 minutes)."""
    a = pd.DataFrame({"id": ["a"], "lat": [45.0], "lon": [9.0]})
    b = pd.DataFrame({"id": ["b"], "lat": [45.1], "lon": [9.0]})
    m = travel_time_matrix(line, a, b, "08:00", 10, [0, 50, 60, 90, 100], max_time=60, cutoff=16)
    row = m.iloc[0]
    # sorted: 15 16 17 18 19 20 31 32 33 34; nearest rank ceil(p / 100 x 10)
    assert (row["travel_time_p0"], row["travel_time_p50"], row["travel_time_p60"]) == (15, 19, 20)
    assert (row["travel_time_p90"], row["travel_time_p100"]) == (33, 34)
    assert row["share_within_16"] == 0.2  # 15 and 16
    # with a 15-minute limit only the 08:05 departure arrives: NaN from the 2nd value on
    m = travel_time_matrix(line, a, b, "08:00", 10, [10, 20], max_time=15)
    assert m.iloc[0]["travel_time_p10"] == 15 and math.isnan(m.iloc[0]["travel_time_p20"])
    # after the first trip has left, the second one (08:25 -> 08:40)
    m = travel_time_matrix(line, a, b, "08:06", 2, [0, 100], max_time=60)
    assert (m.iloc[0]["travel_time_p0"], m.iloc[0]["travel_time_p100"]) == (33, 34)
    # no ride allowed: walking 11 km x 1.3 takes hours
    m = travel_time_matrix(line, a, b, "08:00", 10, max_time=60, max_rides=0)
    assert math.isnan(m.iloc[0]["travel_time_p50"])


def test_own_bike_access_egress_and_all_the_way(line: Network) -> None:
    """Own bike (``BICYCLE``), crow-fly x the detour factor at the network's bike speed:
    to A too far to walk (more than 15 minutes) but within the 20 of a bike ride; from B
    to a point beyond it; and all the way between two points away from the line."""
    cn = line.compiled
    south = pd.DataFrame({"id": ["o"], "lat": [44.9865], "lon": [9.0]})  # 1.5 km south of A
    a = pd.DataFrame({"id": ["a"], "lat": [45.0], "lon": [9.0]})
    b = pd.DataFrame({"id": ["b"], "lat": [45.1], "lon": [9.0]})
    north = pd.DataFrame({"id": ["n"], "lat": [45.1135], "lon": [9.0]})  # 1.5 km north of B

    def ride(p: pd.DataFrame, q: pd.DataFrame, speed: float) -> float:
        m = haversine_m(p["lat"].iloc[0], p["lon"].iloc[0], q["lat"].iloc[0], q["lon"].iloc[0])
        return float(m) * cn.detour_factor / speed

    assert ride(south, a, cn.walk_speed) > 900 and ride(south, a, cn.bike_speed) < 1200
    walked = travel_time_matrix(line, south, b, "08:00", 1, max_time=60)
    assert math.isnan(walked.iloc[0]["travel_time_p50"])  # A is too far to walk to
    # by bike to A (08:06:30), the 08:25 trip, at B 08:40
    biked = travel_time_matrix(line, south, b, "08:00", 1, max_time=60, access_modes=["bicycle"])
    assert biked.iloc[0]["travel_time_p50"] == 40
    # from A at 08:00: the 08:05 trip, at B 08:20, then riding on to the north point
    egress = travel_time_matrix(line, a, north, "08:00", 1, max_time=60,
                                egress_modes=["WALK", "BICYCLE"])  # fmt: skip
    want = (20 * 60 + math.ceil(ride(b, north, cn.bike_speed))) / 60
    assert egress.iloc[0]["travel_time_p50"] == pytest.approx(want)
    walked = travel_time_matrix(line, a, north, "08:00", 1, max_time=60)
    assert math.isnan(walked.iloc[0]["travel_time_p50"])
    # riding all the way, 3 km west to east, far from both stops
    west = pd.DataFrame({"id": ["w"], "lat": [45.05], "lon": [8.98]})
    east = pd.DataFrame({"id": ["e"], "lat": [45.05], "lon": [8.98 + 3000 / 78_700]})
    direct = travel_time_matrix(line, west, east, "08:00", 1, max_time=60,
                                access_modes=["BICYCLE"])  # fmt: skip
    want = math.ceil(ride(west, east, cn.bike_speed)) / 60
    assert direct.iloc[0]["travel_time_p50"] == pytest.approx(want)
    assert want < ride(west, east, cn.walk_speed) / 60


def test_own_bike_on_the_street_graph_is_never_slower(streets: Network) -> None:
    """Helsinki with OSM: adding one's own bike to walking never lengthens a time and
    shortens some."""
    pts = _points(6, 12)
    walk = travel_time_matrix(streets, pts, pts, "08:00", 5, max_time=40)
    bike = travel_time_matrix(streets, pts, pts, "08:00", 5, max_time=40,
                              access_modes=["WALK", "BICYCLE"],
                              egress_modes=["WALK", "BICYCLE"])  # fmt: skip
    a = walk["travel_time_p50"].fillna(np.inf).to_numpy()
    b = bike["travel_time_p50"].fillna(np.inf).to_numpy()
    off = walk["from_id"] != walk["to_id"]
    assert (b <= a).all() and (b[off] < a[off]).mean() > 0.5
