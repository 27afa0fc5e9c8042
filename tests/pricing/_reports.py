"""The reports of every shipped example, written for the report tests and the screenshots
of the documentation."""

from __future__ import annotations

import shutil
from pathlib import Path

from maasmix.feeds.demo import write_demo_city
from maasmix.feeds.demo.diary import demo_diary_frame
from maasmix.pricing import frontier, load_scenario, optimise
from maasmix.pricing.demand.diaries import derive_demand
from maasmix.pricing.report import write_report
from maasmix.pricing.scenario import example_names, example_path

#: Persons of the demo diary behind the diary example's reports (its full ~2,200 trips
#: take a minute to plan; these take about two seconds and give the same sections).
DIARY_PERSONS = 40


def diary_scenario(folder: Path) -> Path:
    """The shipped diary example beside a demo city and a small demo diary."""
    write_demo_city(folder)
    demo_diary_frame(persons=DIARY_PERSONS).to_csv(folder / "demo_diary.csv", index=False)
    path = folder / "demo_diary.yaml"
    shutil.copyfile(example_path("demo_diary"), path)
    return path


def shipped_reports(folder: Path) -> dict[str, Path]:
    """Write the optimise and frontier reports of every shipped example into ``folder``
    (one sub-folder each, named ``<example>-<optimise|frontier>``); their index.html."""
    out: dict[str, Path] = {}
    for name in example_names():
        scenario = load_scenario(example_path(name))
        demand = None
        if name == "demo_diary":
            demand = derive_demand(diary_scenario(folder / "diary-city"), workers=0)
            scenario = demand.scenario
        out[f"{name}-optimise"] = write_report(
            optimise(scenario), folder / f"{name}-optimise", demand=demand
        )
        out[f"{name}-frontier"] = write_report(
            frontier(scenario), folder / f"{name}-frontier", demand=demand
        )
    return out
