"""Emissions: each leg's grams equal its distance x the factor of its mode and propulsion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from maasmix.engine import TransitRouter
from maasmix.engine.emissions import journey_emissions, leg_distance_m, leg_emission
from maasmix.engine.itinerary import Leg, Rental
from maasmix.errors import InputError, QueryError
from maasmix.feeds.emission_factors import load_emission_factors
from maasmix.geodesy import haversine_m

DEFAULTS = Path(__file__).resolve().parents[2] / "maasmix" / "emission_factors.yaml"


def leg(mode: str, distance_m: float | None = 1000.0, **extra: object) -> Leg:
    return Leg(
        mode=mode,
        from_stop_id="a",
        from_name="A",
        from_lat=60.0,
        from_lon=24.0,
        to_stop_id="b",
        to_name="B",
        to_lat=60.01,
        to_lon=24.0,
        start_s=0,
        end_s=600,
        distance_m=distance_m,
        **extra,  # type: ignore[arg-type]
    )


def published() -> dict[tuple[str, str], float]:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    return {(r["mode"], r["propulsion"]): r["g_per_pkm"] for r in data["factors"]}


def test_defaults_are_the_cited_table() -> None:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    assert data["year"] == 2025 and "DESNZ" in data["source"]
    factors = load_emission_factors()
    assert factors.factors == published()
    # DESNZ 2025 kg CO2e per passenger.km, x 1000
    assert factors.factors[("bus", "any")] == 103.85
    assert factors.factors[("rail", "any")] == 35.46
    assert factors.factors[("tram", "any")] == 28.60
    assert all(factors.basis[k] for k in factors.factors)


@pytest.mark.parametrize(
    ("the_leg", "key"),
    [
        (leg("BUS"), ("bus", "any")),
        (leg("TROLLEYBUS"), ("bus", "any")),
        (leg("TRAM"), ("tram", "any")),
        (leg("SUBWAY"), ("metro", "any")),
        (leg("RAIL", 12345.0), ("rail", "any")),
        (leg("FERRY"), ("ferry", "any")),
        (leg("WALK", 850.0), ("walk", "human")),
        (leg("BICYCLE"), ("bicycle", "human")),
        (leg("CAR", 20000.0), ("car", "any")),
        (
            leg("BICYCLE", rental=Rental("s", "S", "t", "bicycle", "electric_assist")),
            ("bicycle", "electric_assist"),
        ),
        (
            leg("SCOOTER", 2500.0, rental=Rental("s", "S", "t", "scooter_standing", "electric")),
            ("scooter", "electric"),
        ),
    ],
)
def test_leg_grams_equal_distance_times_factor(the_leg: Leg, key: tuple[str, str]) -> None:
    factors = load_emission_factors()
    e = leg_emission(factors, the_leg)
    assert e.key == key
    assert e.grams == pytest.approx(the_leg.distance_m / 1000 * published()[key])


def test_distance_from_geometry_and_crow_fly() -> None:
    line = leg("BUS", None, geometry=((24.0, 60.0), (24.01, 60.0), (24.01, 60.01)))
    along = haversine_m(60.0, 24.0, 60.0, 24.01) + haversine_m(60.0, 24.01, 60.01, 24.01)
    assert leg_distance_m(line) == pytest.approx(float(along))
    bare = leg("BUS", None)
    assert leg_distance_m(bare) == pytest.approx(float(haversine_m(60.0, 24.0, 60.01, 24.0)))


@pytest.mark.slow
def test_journey_total_is_the_sum_of_legs(dataset: Callable[..., Path]) -> None:
    router = TransitRouter.from_gtfs(dataset("gtfs-bay-area", "bart.zip"), "20180601")
    factors = load_emission_factors()
    journey = router.journeys("DUBL", "RICH", "08:00")[0]
    per_leg, total = journey_emissions(factors, journey)
    assert len(per_leg) == len(journey.legs)
    for e, the_leg in zip(per_leg, journey.legs, strict=True):
        assert e.key == (("metro", "any") if the_leg.mode == "SUBWAY" else ("walk", "human"))
        g = published()[e.key]
        assert e.grams == pytest.approx(leg_distance_m(the_leg) / 1000 * g)
    assert total == pytest.approx(sum(e.grams for e in per_leg)) and total > 0


def test_override_file(tmp_path: Path) -> None:
    path = tmp_path / "factors.yaml"
    path.write_text(
        "source: city study\nyear: 2024\nfactors:\n"
        "  - {mode: bus, propulsion: any, g_per_pkm: 50}\n"
        "  - {mode: gondola, g_per_pkm: 10}\n",
        encoding="utf-8",
    )
    factors = load_emission_factors(path)
    assert factors.factors[("bus", "any")] == 50.0
    assert factors.factors[("gondola", "any")] == 10.0
    assert factors.factors[("rail", "any")] == 35.46  # kept from the defaults
    assert factors.sources[-1] == "city study (2024)"
    assert leg_emission(factors, leg("BUS", 2000.0)).grams == pytest.approx(100.0)


def test_bad_factor_files_and_modes(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("factors:\n  - {mode: bus, g_per_pkm: -3}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_emission_factors(path)
    assert info.value.file == str(path) and info.value.field == "factors[0].g_per_pkm"
    path.write_text("factors: [", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_emission_factors(path)
    assert info.value.row == 1
    with pytest.raises(InputError):
        load_emission_factors(tmp_path / "none.yaml")
    with pytest.raises(QueryError) as q:
        leg_emission(load_emission_factors(), leg("AIRSHIP"))
    assert q.value.parameter == "mode"
