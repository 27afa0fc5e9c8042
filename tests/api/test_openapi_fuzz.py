"""schemathesis over the whole OpenAPI document, on the demo city with a write key: every
operation, positive and negative data, every check of the contract (see `CHECKS`; a
request without the key must be refused wherever the document asks for one), a bounded
number of examples per operation.

The contract: no 5xx (except a 503 the operation documents), only documented status
codes, media types, headers and bodies; a request the document calls invalid is refused
with a 4xx (negative data); a request the document calls valid is never refused for its
shape (positive data): a 422 of type ``invalid-request`` (the code's own request model
refused it) on a schema-valid request is a document looser than the code. What a schema
cannot say (an unknown stop or scenario reference, a path that does not exist, a
scenario's cross-references) is answered 404, or 422 naming the field with its own
problem type, and is allowed only where `SEMANTIC` lists it with the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import GenerationMode, checks  # noqa: E402

from maasmix.api.app import create_app  # noqa: E402
from maasmix.api.deployment import (  # noqa: E402
    ApiKeySpec,
    Deployment,
    FeedSpec,
    GbfsSpec,
    NetworkSpec,
    build_network,
    hash_key,
)
from maasmix.api.settings import Settings, get_settings  # noqa: E402

pytestmark = pytest.mark.slow

#: Examples per operation and generation mode (the whole file: well under a minute).
EXAMPLES = 10
WRITE_KEY = "fuzz-writer-secret"
HEADERS = {"X-API-Key": WRITE_KEY}

_REFERENCE = (
    "a mode, offer, segment or operator named here must be one the scenario defines "
    "elsewhere: a reference between parts of the document"
)
_OFFER_UTILITY = "every offer the scenario defines needs a utility in each typed segment"
_DATA_FOLDER = (
    "diary planning reads the files a scenario names from the server's data folder (no URL, "
    "a name that exists there): the server's files, not the document's"
)
_UNIQUE_NAMES = "names are unique in a list (uniqueItems compares whole items, not one key)"
_CLASS_WEIGHTS = "latent-class weights sum to 1 (a sum over an array)"
_PRICE_GRID = "a price grid's max is not below its min (two fields compared)"
_SIZES = (
    "sizes (prices per grid, candidates, (bundle, price) pairs, model cells) are products "
    "over the scenario under limits the scenario's own limits section may raise, up to the "
    "service's cap (a deployment setting)"
)
_LEG_RULE = "a leg rule's mode is not one counted in days (the unit is the mode's)"
_GRIDS = ("candidates.prices", "candidates.listed.*.prices", "candidates.generate.prices")
#: The scenario's own checks no JSON Schema can state, by the field its 422 names
#: (`fnmatch` patterns over the dotted field path; ``*`` stands for a key of the file).
_SCENARIO = {
    **dict.fromkeys(
        [
            "segments.*.usage.*",
            "segments.*.derived.*.usage.*",
            "segments.*.choice.taste.*",
            "segments.*.choice.offers.*",
            "segments.*.classes.*.taste.*",
            "offers.*.includes.*",
            "candidates.listed.*.includes.*",
            "candidates.generate.levels.*",
            "policy.operator_floors.*",
            "policy.surplus_floors.*",
            "policy.subsidy.instruments.*.modes.*",
            "policy.subsidy.instruments.*.segments",
        ],
        _REFERENCE,
    ),
    "segments.*.choice.offers": _OFFER_UTILITY,
    "segments.*.diary": _DATA_FOLDER,
    "planning.network.*": _DATA_FOLDER,
    "segments.*.classes": f"{_CLASS_WEIGHTS}; {_UNIQUE_NAMES}",
    "candidates.listed": _UNIQUE_NAMES,
    **{f"{grid}.max": f"{_PRICE_GRID}; {_SIZES}" for grid in _GRIDS},
    **{f"{grid}.{end}": _SIZES for grid in _GRIDS for end in ("min", "step")},
    **dict.fromkeys([*_GRIDS, "candidates", "segments", "limits.*"], _SIZES),
    "planning.legs.*.mode": f"{_REFERENCE}; {_LEG_RULE}",
}
#: The refusals of a schema-valid scenario, by problem type.
_SCENARIO_BODY = {
    "scenario-error": _SCENARIO,
    "query-error": {"segments.*.diary": _DATA_FOLDER, "planning.network.*": _DATA_FOLDER},
}
_SERVICE_DAY = "the departure must fall on the loaded network's service day"
_UNIQUE_IDS = "point ids are unique in a list; uniqueItems compares whole points, not one key"

_PAIR = (
    "bundleScenario and bundleName go together and not with bundle: OpenAPI cannot relate "
    "query parameters (POST /v1/plan's body says it with dependentRequired and not)"
)
_PLAN = {
    "query-error": {
        "at": "the departure (default: now) must fall on the network's service day",
        "riderCategory": "rider categories are those of the loaded network's fares",
    }
}

#: What a schema-valid request may still be refused for with 422, per operation:
#: ``{problem type: {parameter or field (an `fnmatch` pattern; "*": any): why a schema
#: cannot say it}}``.
SEMANTIC: dict[str, dict[str, dict[str, str]]] = {
    "POST /v1/bundles/optimise": _SCENARIO_BODY,
    "POST /v1/bundles/frontier": _SCENARIO_BODY,
    "POST /v1/bundles/demand": _SCENARIO_BODY,
    "POST /v1/scenarios": _SCENARIO_BODY,
    "PUT /v1/scenarios/{scenarioId}": _SCENARIO_BODY,
    "GET /v1/stops": {
        "query-error": {"q": "one of q and near is required: OpenAPI cannot require one of two"}
    },
    "GET /v1/route/profile": {
        "query-error": {
            "end": "the window's end must follow its start (two parameters)",
            "stepSeconds": "at most 86,400 departures, (end - start) / stepSeconds: three "
            "parameters together",
        }
    },
    "GET /v1/plan": {
        "query-error": {
            **_PLAN["query-error"],
            "bundleName": _PAIR,
            "bundleScenario": _PAIR,
            "bundle": _PAIR,
        }
    },
    "POST /v1/plan": _PLAN,
    "POST /v1/isochrones": {
        "query-error": {"departure": _SERVICE_DAY},
        "input-error": {"id": _UNIQUE_IDS},
    },
    "POST /v1/matrix": {
        "query-error": {"departure": _SERVICE_DAY},
        "input-error": {"id": _UNIQUE_IDS},
    },
}

#: The app under test, with the write key: built here (the document does not depend on what
#: is loaded) so that schemathesis reads its operations at collection; `_demo_city` loads
#: the demo city and the storage into it before the first request.
app = create_app(
    Deployment(keys=(ApiKeySpec("fuzzer", hash_key(WRITE_KEY), frozenset({"read", "write"})),))
)
#: Operations whose body is a scenario: its JSON Schema is large, so the coverage phase
#: (every boundary of every property, over 1,300 requests each) is left to the fuzzing
#: phase's `EXAMPLES` examples here.
SCENARIO_BODIES = [
    "POST /v1/bundles/optimise",
    "POST /v1/bundles/frontier",
    "POST /v1/bundles/demand",
    "POST /v1/scenarios",
    "PUT /v1/scenarios/{scenarioId}",
]


def _loaded(*, coverage: bool) -> Any:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES
    )
    loaded.config.phases.coverage.enabled = coverage
    # a 422 on positive data is judged by `schema_valid_accepted` (semantic or not)
    loaded.config.checks.positive_data_acceptance.expected_statuses = [
        *loaded.config.checks.positive_data_acceptance.expected_statuses,
        "422",
    ]
    return loaded


schema = _loaded(coverage=True).exclude(name=SCENARIO_BODIES)
scenario_schema = _loaded(coverage=False).include(name=SCENARIO_BODIES)


@pytest.fixture(scope="module")
def _demo_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The service on the demo city (network ``demo``), a SQLite store and a write key;
    the data folder holds the demo city only."""
    from maasmix.api.jobs import LocalClusterOptions
    from maasmix.api.jobs.service import close_services
    from maasmix.api.routes.networks import register_spec
    from maasmix.api.routes.plan import register_network
    from maasmix.feeds.demo import write_demo_city

    data = tmp_path_factory.mktemp("fuzz-data")
    cache = tmp_path_factory.mktemp("fuzz-cache")
    city = write_demo_city(data / "demo")
    spec = NetworkSpec(
        "demo",
        (FeedSpec(str(city.gtfs_zip)),),
        str(city.osm_pbf),
        (GbfsSpec(str(city.gbfs_dir), max_age_s=None),),
        city.service_date,
    )
    app.state.deployment = dataclasses.replace(
        app.state.deployment,
        networks=(spec,),
        storage_url=f"sqlite:///{tmp_path_factory.mktemp('fuzz-db') / 'maasmix.db'}",
    )
    register_network(app, "demo", build_network(spec, cache))
    register_spec(app, spec)
    app.state.local_cluster = LocalClusterOptions(
        processes=False, n_workers=1, threads_per_worker=1
    )
    app.dependency_overrides[get_settings] = lambda: Settings(data=data, cache_dir=cache)
    yield
    app.dependency_overrides.clear()
    close_services(app)


def schema_valid_accepted(ctx: object, response: Any, case: Any) -> None:
    """A request the document calls valid is not refused for its shape (see the module
    docstring); a semantic 422 only where `SEMANTIC` allows it."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return
    body = response.json()
    kind = str(body.get("type", "")).rsplit("/", 1)[-1]
    name = str(body.get("parameter", body.get("field", "")))
    allowed = SEMANTIC.get(case.operation.label, {}).get(kind, {})
    if any(fnmatchcase(name, pattern) for pattern in allowed):
        return
    raise AssertionError(
        f"{case.operation.label}: a schema-valid request was refused: {response.text[:400]}"
    )


CHECKS = [
    checks.not_a_server_error,
    checks.positive_data_acceptance,
    schema_valid_accepted,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.allow_header_conformance,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.ignored_auth,
    checks.use_after_free,
    checks.ensure_resource_availability,
]


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _contract(case: Any) -> None:
    case.call_and_validate(headers=HEADERS, checks=CHECKS)


@pytest.mark.usefixtures("_demo_city")
@schema.parametrize()
@_SETTINGS
def test_every_operation_keeps_its_contract(case: Any) -> None:
    _contract(case)


@pytest.mark.usefixtures("_demo_city")
@scenario_schema.parametrize()
@_SETTINGS
def test_every_scenario_operation_keeps_its_contract(case: Any) -> None:
    _contract(case)


def test_every_operation_is_fuzzed() -> None:
    """schemathesis reads every operation of the document (none fails to load, none is
    left out)."""
    document = app.openapi()
    operations = {f"{m.upper()} {p}" for p, item in document["paths"].items() for m in item}
    loaded = [
        result.ok().label
        for part in (schema, scenario_schema)
        for result in part.get_all_operations()
    ]
    assert sorted(loaded) == sorted(operations)
    assert len(operations) >= 35
