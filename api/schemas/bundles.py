"""The JSON shape of bundle-design answers: the optimiser's `Result` and frontiers.

`maasmix.pricing.results.Result` is a dataclass of plain fields; it is its own response
model, so the OpenAPI document follows the result without a copy kept here by hand.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from maasmix.pricing.results import Result

__all__ = ["FrontierOut", "Result"]


class FrontierOut(BaseModel):
    """A traced frontier: one summary per point, the anchors and every point's result."""

    scenario: str
    currency: str
    sweep: str
    seconds: float
    interrupted: bool = Field(False, description="stopped before every point was solved")
    planned: int = Field(0, description="points the sweep set out to solve")
    points: list[dict[str, Any]] = Field(description="per point: bounds, status, money, menu")
    anchors: dict[str, Result]
    results: list[Result]
