"""The report's parts without a browser: tick labels, point labels, the detailed point,
sections that are left out rather than shown empty, the glossary."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from maasmix.errors import QueryError
from maasmix.pricing import Frontier, Result, frontier, load_scenario, optimise
from maasmix.pricing.demand.diaries import DerivedDemand, derive_demand
from maasmix.pricing.report import detail_point, menu_demand, write_report
from maasmix.pricing.report.plots import (
    frontier_figure,
    number_label,
    plural,
    point_numbers,
    revenue_figure,
    signed_label,
    text_boxes,
    tick_decimals,
    tick_labels,
    uptake_figure,
)
from maasmix.pricing.report.render import GLOSSARY, breakable
from maasmix.pricing.scenario import example_path
from tests.pricing._reports import diary_scenario

#: A tick label: optional minus, digits grouped by thousands, optional decimals.
TICK = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$")


@pytest.fixture(scope="module")
def fronts() -> dict[str, Frontier]:
    return {n: frontier(load_scenario(example_path(n))) for n in ("hand_check", "interior_check")}


@pytest.fixture(scope="module")
def city() -> Frontier:
    return frontier(load_scenario(example_path("demo_city")))


@pytest.fixture(scope="module")
def city_surplus() -> Frontier:
    """Two pairs of points close together (4-5 and 6, 2 and 3) on this sweep."""
    return frontier(load_scenario(example_path("demo_city")), sweep="surplus")


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    plt.close("all")


def _numeric(labels: dict[str, list[str]], keys: list[str]) -> list[str]:
    return [t for k in keys for t in labels[k]]


def test_number_labels_never_read_minus_zero() -> None:
    assert number_label(-0.0) == "0"
    assert number_label(-0.4) == "0"
    assert number_label(-0.004, 2) == "0.00"
    assert number_label(-0.006, 2) == "-0.01"
    assert number_label(1234567.891, 1) == "1,234,567.9"
    assert number_label(-350000) == "-350,000"
    assert signed_label(-0.3) == "0"
    assert signed_label(0.6) == "+1"
    assert signed_label(-1501.2) == "-1,501"
    assert signed_label(6242.0) == "+6,242"


def test_tick_decimals_are_the_fewest_that_write_every_tick() -> None:
    assert tick_decimals([0, 50000, 100000]) == 0
    assert tick_decimals([-0.04, -0.02, 0.0, 0.02, 0.04]) == 2
    assert tick_decimals([0.0, 0.25, 0.5]) == 2
    assert tick_decimals([0.0, 0.5, 1.0]) == 1
    assert tick_decimals([2048.17]) == 2
    assert tick_decimals([0.0]) == 0


def test_plural_and_point_numbers() -> None:
    assert plural(1, "distinct menu") == "1 distinct menu"
    assert plural(5, "distinct menu") == "5 distinct menus"
    assert plural(0, "point") == "0 points"
    assert point_numbers([0]) == "1"
    assert point_numbers(list(range(10))) == "1-10"
    assert point_numbers([1, 2, 3, 4, 6, 8, 9]) == "2-5, 7, 9-10"


def test_bundle_names_break_after_plus_only() -> None:
    assert str(breakable("transit:unlimited+bike:300")) == "transit:unlimited+<wbr>bike:300"
    assert str(breakable("A & B")) == "A &amp; B"


def test_one_menu_frontier_plot_has_one_tick_per_axis_and_no_colour_bar(
    fronts: dict[str, Frontier],
) -> None:
    front = fronts["hand_check"]  # ten points, one menu, no subsidy anywhere
    fig = frontier_figure(front, detail_point(front))
    labels = tick_labels(fig)
    assert len(fig.axes) == 1  # the surplus change does not vary: no colour bar
    assert labels["0.x"] == ["0"]
    best = max(p.result.profit_minor for p in front.points) / 100
    assert labels["0.y"] == [number_label(best, 2)]
    assert fig.axes[0].get_title() == "Frontier (subsidy sweep): 1 distinct menu"
    texts = [t for t, _, _ in text_boxes(fig)]
    assert "1-10" in texts
    assert any(t.startswith("surplus change: ") and "at every point" in t for t in texts)


def test_frontier_plot_labels_stay_inside_the_axes_and_off_the_colour_bar(
    city: Frontier, city_surplus: Frontier, fronts: dict[str, Frontier]
) -> None:
    for front in (city, city_surplus, fronts["interior_check"]):
        fig = frontier_figure(front, detail_point(front))
        labels = tick_labels(fig)
        assert len(fig.axes) == 2  # the plot and its colour bar
        for text in _numeric(labels, ["0.x", "0.y", "1.y"]):
            assert TICK.match(text), text
            assert not re.match(r"^-0(\.0+)?$", text), text
        assert len(labels["1.y"]) >= 3
        fig.canvas.draw()
        plot = fig.axes[0].get_window_extent()
        bar = fig.axes[1].get_window_extent()
        boxes = text_boxes(fig)
        distinct = [p for p, _ in front.distinct() if p.result.feasible]
        numbered = [b for b in boxes if re.match(r"^\d", b[0])]
        assert len(numbered) == len(distinct)
        for text, (x0, y0, x1, y1), _ in numbered:
            assert plot.x0 <= x0 and x1 <= plot.x1 and plot.y0 <= y0 and y1 <= plot.y1, text
            assert x1 < bar.x0, text
        ax = fig.axes[0]
        surplus = front.sweep == "surplus"
        xy = [
            ax.transData.transform(
                ((r.cs_change_minor if surplus else r.subsidy_minor) / 100, r.profit_minor / 100)
            )
            for r in (p.result for p in distinct)
        ]
        for k, (text, (x0, y0, x1, y1), _) in enumerate(numbered):
            # each label is nearer its own point than any other point
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            dist = [math.hypot(cx - px, cy - py) for px, py in xy]
            assert dist.index(min(dist)) == k, (text, dist)
        for i, (a, box_a, _) in enumerate(numbered):
            for b, box_b, _ in numbered[:i]:
                apart = (
                    box_a[2] <= box_b[0]
                    or box_b[2] <= box_a[0]
                    or box_a[3] <= box_b[1]
                    or box_b[3] <= box_a[1]
                )
                assert apart, (a, b)


def test_city_colour_bar_ticks_have_thousands_separators(city: Frontier) -> None:
    labels = tick_labels(frontier_figure(city, 0))["1.y"]
    assert any("," in t for t in labels), labels
    assert all(TICK.match(t) for t in labels), labels


def test_unchanged_revenue_plot_reads_zero_not_minus_zero(fronts: dict[str, Frontier]) -> None:
    result = fronts["hand_check"].points[0].result
    unchanged = replace(
        result,
        operators=[
            replace(
                o, revenue_minor=o.baseline_revenue_minor, earnings_minor=o.baseline_earnings_minor
            )
            for o in result.operators
        ],
    )
    fig = revenue_figure(unchanged)
    assert tick_labels(fig)["0.y"] == ["0"]
    assert {t.get_text() for t in fig.axes[0].texts} == {"0"}  # the values on the bars
    up = tick_labels(uptake_figure(result))["0.y"]
    assert up[0] == "0" and all(TICK.match(t) for t in up)


def test_detail_is_the_best_feasible_point_with_a_menu(fronts: dict[str, Frontier]) -> None:
    front = fronts["interior_check"]
    chosen = detail_point(front)
    assert chosen is not None
    best = front.points[chosen].result
    assert best.feasible and best.menu
    for p in front.points:
        if p.result.feasible and p.result.menu:
            assert p.result.profit_minor <= best.profit_minor
    empty = [i for i, p in enumerate(front.points) if p.result.feasible and not p.result.menu]
    assert empty, "interior_check's tightest caps leave the empty menu"
    with pytest.raises(QueryError, match=rf"point {empty[0] + 1} offers no bundle") as err:
        detail_point(front, empty[0] + 1)
    assert err.value.parameter == "detail"
    with pytest.raises(QueryError, match=r"no point 99: the frontier has 10 points"):
        detail_point(front, 99)
    assert detail_point(front, 2) == 1


def test_frontier_report_details_the_named_point(
    fronts: dict[str, Frontier], tmp_path: Path
) -> None:
    front = fronts["interior_check"]
    chosen = next(
        i
        for i, p in enumerate(front.points)
        if p.result.feasible and p.result.menu and i != detail_point(front)
    )
    index = write_report(front, tmp_path, detail=chosen + 1)
    html = index.read_text(encoding="utf-8")
    assert f"<h2>Point {chosen + 1} in detail</h2>" in html
    assert "the point chosen for this report" in html
    menu = html.split("<h2>Menu</h2>")[1].split("</table>")[0]
    for item in front.points[chosen].result.menu:
        assert f'<td class="text">{breakable(item.bundle)}</td>' in menu
    data = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert data["detail_point"] == chosen + 1
    assert {"frontier.png", "uptake.png", "revenue_split.png"} <= {
        p.name for p in tmp_path.iterdir()
    }


def test_a_menu_of_nothing_gets_a_sentence_not_empty_tables(
    fronts: dict[str, Frontier], tmp_path: Path
) -> None:
    front = fronts["interior_check"]
    nothing: Result = next(
        p.result for p in front.points if p.result.feasible and not p.result.menu
    )
    index = write_report(nothing, tmp_path)
    html = index.read_text(encoding="utf-8")
    assert "The best menu offers no bundle" in html
    assert "<table>" not in html
    assert not (tmp_path / "uptake.png").exists() and not (tmp_path / "revenue_split.png").exists()


def test_every_report_explains_its_money_terms(tmp_path: Path) -> None:
    result = optimise(load_scenario(example_path("hand_check")))
    html = write_report(result, tmp_path).read_text(encoding="utf-8")
    terms = dict(GLOSSARY)
    assert {"revenue", "earnings", "subsidy", "surplus change"} <= set(terms)
    for term, meaning in GLOSSARY:
        assert f"<dt>{term}</dt><dd>{meaning}</dd>" in html.replace("&#39;", "'")


def test_unproven_points_are_hollow_and_an_interrupted_sweep_says_so(
    city: Frontier, tmp_path: Path
) -> None:
    late = city.points[1]
    solve = replace(late.result.solve, status="feasible", gap=0.034, stopped="time_limit")
    points = list(city.points)
    points[1] = replace(late, result=replace(late.result, solve=solve))
    front = replace(city, points=points, interrupted=True, planned=len(points) + 4)
    fig = frontier_figure(front, detail_point(front))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "stopped before proof (gap in the table)" in legend
    hollow = [c for c in fig.axes[0].collections if len(c.get_facecolors()) == 0]
    assert len(hollow) == 2  # the unproven point, and the ring of the detailed one
    assert (
        fig.axes[0]
        .get_title()
        .endswith(f"interrupted after {len(points)} of {len(points) + 4} points")
    )
    html = write_report(front, tmp_path).read_text(encoding="utf-8")
    assert f"Interrupted: {len(points)} of {len(points) + 4} points were finished" in html
    assert "<td>feasible</td><td>3.40 %</td>" in html


def test_values_on_the_bars_stay_inside_the_axes(
    fronts: dict[str, Frontier], city: Frontier
) -> None:
    # hand_check: revenue unchanged (bars of zero) and earnings down (negative bars only)
    for result in (fronts["hand_check"].points[0].result, city.points[0].result):
        for fig in (revenue_figure(result), uptake_figure(result)):
            boxes = text_boxes(fig)
            frame = fig.axes[0].get_window_extent()
            assert len(boxes) == len(fig.axes[0].patches)  # one value per bar
            for text, (x0, y0, x1, y1), _ in boxes:
                assert frame.y0 <= y0 and y1 <= frame.y1, text
                assert frame.x0 <= x0 and x1 <= frame.x1, text


def test_an_infeasible_result_names_its_conflict_and_shows_no_tables(tmp_path: Path) -> None:
    scenario = load_scenario(example_path("hand_check"))
    result = optimise(scenario, objective="min_subsidy", min_uptake=0.5)
    assert not result.feasible and result.conflicts
    html = write_report(result, tmp_path).read_text(encoding="utf-8")
    assert f"Conflicting constraints: {', '.join(result.conflicts)}." in html
    assert "<table>" not in html and "<img" not in html
    assert '<h2 id="glossary">Terms</h2>' in html


@pytest.fixture(scope="module")
def diary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, DerivedDemand]:
    demand = derive_demand(diary_scenario(tmp_path_factory.mktemp("diary")), workers=0)
    return optimise(demand.scenario), demand


def test_diary_section_draws_the_mode_shift_only_when_trips_move(
    diary: tuple[Result, DerivedDemand], tmp_path: Path
) -> None:
    result, demand = diary
    table = menu_demand(result, demand)
    assert table["moves"] and table["menu"] == [m.bundle for m in result.menu]
    html = write_report(result, tmp_path / "moved", demand=demand).read_text(encoding="utf-8")
    assert (tmp_path / "moved" / "mode_shift.png").is_file()
    assert '<img src="mode_shift.png"' in html
    # nobody buys: the same menu moves no trip, and the report says so instead of a blank plot
    idle = replace(
        result, classes=[replace(c, buys=dict.fromkeys(c.buys, 0.0)) for c in result.classes]
    )
    assert not menu_demand(idle, demand)["moves"]
    html = write_report(idle, tmp_path / "idle", demand=demand).read_text(encoding="utf-8")
    assert not (tmp_path / "idle" / "mode_shift.png").exists()
    assert 'mode_shift.png"' not in html and "no whole trip a\nmonth moves" in html
