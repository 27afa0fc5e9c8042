"""The JSON shapes of ``/v1/scenarios``: a stored scenario (its body typed by the
scenario JSON Schema, `maasmix.pricing.Scenario`), lists and versions."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from maasmix.pricing import Scenario

__all__ = ["ScenarioList", "ScenarioOut", "ScenarioSummary", "VersionOut"]


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ScenarioSummary(_Out):
    """A stored scenario without its body."""

    id: str = Field(description="32 hex digits")
    name: str = Field(description="the scenario's name (its ``name`` field)")
    version: int = Field(description="the version shown")
    latest_version: int
    created_by: str = Field(description="the name of the key that created it")
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="when its latest version was stored")


class ScenarioOut(ScenarioSummary):
    """A stored scenario at one version, with its body."""

    scenario: Scenario


class ScenarioList(_Out):
    """One page of stored scenarios (latest versions, last changed first)."""

    total: int
    items: list[ScenarioSummary]


class VersionOut(_Out):
    """One version of a scenario."""

    version: int
    created_by: str
    created_at: dt.datetime
