"""The traveller bundle of a ``/v1/plan`` request: inline, or a scenario's bundle by name.

``bundle`` (an object of the inline shape, `maasmix.pricing.scenario.bundle_file`), or
``bundleScenario`` + ``bundleName``: a shipped example scenario's name (``demo_city``)
or a scenario file under the server's data folder (``MAASMIX_DATA``, checked by
`maasmix.api.deps.server_source`; a path outside it is 403). Errors: an unknown example
or missing file 404, a failing bundle or scenario 422 (file and field), an unknown bundle
name 422 (parameter ``bundle``), all problem+json.

An inline bundle is first checked against its JSON Schema
(`maasmix.api.schemas.inline_bundle.BUNDLE_SCHEMA`, the one the OpenAPI document gives).
"""

from __future__ import annotations

import json
from typing import Any

from maasmix.api.deps import server_source
from maasmix.api.schemas.inline_bundle import check_bundle
from maasmix.api.settings import Settings, get_settings
from maasmix.engine.bundle_prices import TravellerBundle
from maasmix.errors import QueryError, ScenarioMissingError
from maasmix.pricing.scenario import example_names, example_path
from maasmix.pricing.scenario.bundle_file import bundle_from_mapping
from maasmix.pricing.scenario.traveller_bundle import load_traveller_bundle

__all__ = ["parse_bundle_query", "request_bundle"]


def parse_bundle_query(text: str | None) -> dict[str, Any] | None:
    """The ``bundle`` query parameter of ``GET /v1/plan``: a JSON object (None: absent)."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise QueryError("not a JSON object", parameter="bundle") from None
    if not isinstance(value, dict):
        raise QueryError("not a JSON object", parameter="bundle")
    return value


def request_bundle(
    inline: dict[str, Any] | None,
    scenario: str | None,
    name: str | None,
    settings: Settings | None = None,
) -> TravellerBundle | None:
    """The bundle a request names (None: none); see the module docstring. ``settings``:
    the server's (its data folder bounds scenario files; default `get_settings`)."""
    if inline is not None and scenario is not None:
        raise QueryError("give either bundle or bundleScenario, not both", parameter="bundle")
    if inline is not None:
        check_bundle(inline)
        return bundle_from_mapping(inline, file="request body", name="inline")
    if scenario is None:
        if name is not None:
            raise QueryError("bundleName needs bundleScenario", parameter="bundleScenario")
        return None
    if not name:
        raise QueryError("bundleScenario needs bundleName", parameter="bundleName")
    stem = scenario.removesuffix(".yaml").removesuffix(".yml")
    if "/" not in scenario and stem in example_names():
        path = str(example_path(stem))
    elif scenario.endswith((".yaml", ".yml")):
        path = server_source(scenario, settings or get_settings(), parameter="bundleScenario")
    else:
        raise ScenarioMissingError(
            f"no example scenario named {scenario[:64]!r} (known: {', '.join(example_names())});"
            " a scenario file is named by its .yaml path under the data folder",
            file=scenario[:64],
        )
    return load_traveller_bundle(path, name).bundle
