"""schemathesis over the whole OpenAPI document: no 5xx, no undocumented status code, no
response that breaks its schema (a bounded number of examples per operation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

from maasmix.api.app import app  # noqa: E402
from maasmix.api.settings import Settings, get_settings  # noqa: E402

schema = schemathesis.openapi.from_asgi("/openapi.json", app)

EXAMPLES = 30

#: What the contract promises: no 5xx (see `no_server_error`), only documented status
#: codes, bodies and headers as documented, the documented media type (problem+json for
#: every 4xx), ``Allow`` on 405. A schema-valid request may still be refused with 422
#: (an unknown stop, a path the file system cannot hold), so "positive data accepted"
#: is not asked for.
SPEC = app.openapi()


def no_server_error(ctx: object, response: Any, case: schemathesis.Case) -> None:
    """No 5xx, except a 503 the operation documents (e.g. ``/v1/plan`` on a server started
    without a network: unavailable by configuration, not a failure)."""
    status = response.status_code
    documented = SPEC["paths"][case.operation.path][case.operation.method.lower()]["responses"]
    if status >= 500 and not (status == 503 and "503" in documented):
        raise AssertionError(f"{case.operation.label} answered {status}: {response.text[:300]}")


CONTRACT = [
    no_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.allow_header_conformance,
]


@pytest.fixture(autouse=True)
def _server_settings(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    cache = tmp_path_factory.mktemp("fuzz-cache")
    app.dependency_overrides[get_settings] = lambda: Settings(data=data_dir, cache_dir=cache)
    yield
    app.dependency_overrides.pop(get_settings, None)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_operation_keeps_its_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CONTRACT)
