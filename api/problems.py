"""RFC 9457 problem+json responses: one handler per error family, never a bare 500.

========================================  ======  ==================================
raised                                    status  type
========================================  ======  ==================================
request validation (pydantic)             422     ``/v1/problems/invalid-request``
`FeedMissingError`, `ScenarioMissingError` 404     ``/v1/problems/<error-name>``
other `InputError` (feeds, scenarios)     422     ``/v1/problems/<error-name>``
`QueryError` (incl. `NoServiceError`)     422     ``/v1/problems/<error-name>``
`RecursionError` (input nested too deep)  422     ``/v1/problems/nested-too-deeply``
HTTP errors (400, 403, 404, 405)          status  ``about:blank``
anything else                             500     ``/v1/problems/internal-error``
========================================  ======  ==================================

The title is the status phrase; ``detail`` says what is wrong; error attributes (file,
row, field, parameter, ...) are extension members (a request validation error names its
first ``parameter`` or body ``field`` too). Server paths never reach a body:
the data folder's prefix is cut from every message. A 405 names in ``Allow`` every
method the path answers; a 400 (a body that cannot be parsed) is documented on every
operation that takes a body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from maasmix.api.settings import get_settings
from maasmix.errors import (
    FeedMissingError,
    InputError,
    MaasmixError,
    QueryError,
    ScenarioMissingError,
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/v1/problems/"

#: Engine parameter names as the HTTP routes call them.
HTTP_PARAMETERS = {
    "depart": "at",
    "window_start": "start",
    "window_end": "end",
    "rider_category": "riderCategory",
}
logger = logging.getLogger(__name__)


class Problem(BaseModel):
    """An RFC 9457 problem details object (extension members allowed)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json bodies for ``statuses``
    (`problem_openapi` moves them to the problem+json media type)."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses
    }


def problem_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every 4xx/5xx body as ``application/problem+json`` of
    schema `Problem` (FastAPI writes them as application/json, and its default 422 as
    ``HTTPValidationError``); every operation with a body documents 400 (not parsed) and
    413 (over the body limit)."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            for status, response in responses.items():
                if str(status)[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": ref}}
                    response["description"] = HTTPStatus(int(status)).phrase
            if "requestBody" in operation:  # a body that cannot be parsed, or too large
                for status in ("400", "413"):
                    responses.setdefault(
                        status,
                        {
                            "description": HTTPStatus(int(status)).phrase,
                            "content": {PROBLEM_JSON: {"schema": ref}},
                        },
                    )
            responses.setdefault(
                "500",
                {
                    "description": HTTPStatus(500).phrase,
                    "content": {PROBLEM_JSON: {"schema": ref}},
                },
            )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema()
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def problem(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response; the title is the status phrase."""
    body = {
        "type": type_,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": _scrub(detail),
        **{k: _scrub(v) if isinstance(v, str) else v for k, v in extra.items()},
    }
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _scrub(text: str) -> str:
    """``text`` without the server's data folder and cache folder prefixes."""
    settings = get_settings()
    for root in (settings.data.resolve(), settings.cache_dir.expanduser().resolve()):
        text = text.replace(f"{root}/", "").replace(str(root), ".")
    return text


def _error_body(exc: MaasmixError) -> dict[str, Any]:
    body = exc.to_dict()
    body.pop("type", None)
    body.pop("message", None)
    return {k: v for k, v in body.items() if v is not None}


def _named(loc: list[Any]) -> dict[str, Any]:
    """What a request validation error names, as the other problems do: ``parameter``
    (a query, path, header or cookie parameter) or ``field`` (a dotted path in the body)."""
    if len(loc) >= 2 and loc[0] in ("query", "path", "header", "cookie"):
        return {"parameter": str(loc[1])}
    if len(loc) >= 2 and loc[0] == "body":
        return {"field": ".".join(str(p) for p in loc[1:])}
    return {}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of ``app`` answers at the request's path (Starlette's own
    405 names only the first matching route's)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
            allowed.append(method)
    return allowed


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error family to problem+json bodies (see the module docstring)."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return problem(
            422,
            f"{where}: {first['msg']}" if where else str(first["msg"]),
            type_=PROBLEM_BASE + "invalid-request",
            errors=errors,
            **_named(list(first["loc"])),
        )

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> JSONResponse:
        missing = isinstance(exc, FeedMissingError | ScenarioMissingError)
        return problem(
            404 if missing else 422,
            str(exc),
            type_=PROBLEM_BASE + _kebab(type(exc).__name__),
            **_error_body(exc),
        )

    @app.exception_handler(QueryError)
    async def _query(_: Request, raised: QueryError) -> JSONResponse:
        exc = raised.renamed(HTTP_PARAMETERS)
        return problem(
            422, str(exc), type_=PROBLEM_BASE + _kebab(type(exc).__name__), **_error_body(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return problem(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(RecursionError)
    async def _nested(_: Request, exc: RecursionError) -> JSONResponse:
        # only a client's input nests deep enough: JSON or YAML parsed recursively
        return problem(
            422, "the input is nested too deeply", type_=PROBLEM_BASE + "nested-too-deeply"
        )

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500, "the server failed on this request", type_=PROBLEM_BASE + "internal-error"
        )
