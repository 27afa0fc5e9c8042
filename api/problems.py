"""RFC 9457 problem+json responses: bad input is a 4xx with a body that says what is wrong."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from maasmix.feeds import FeedError, FeedMissingError

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response with ``type``, ``title``, ``status``, ``detail`` and extras."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    """Map validation errors, FeedErrors and HTTP errors to problem+json bodies."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem(
            422, "Invalid request", "the request body or parameters are invalid", errors=errors
        )

    @app.exception_handler(FeedError)
    async def _feed(_: Request, exc: FeedError) -> JSONResponse:
        status = 404 if isinstance(exc, FeedMissingError) else 422
        return problem(status, type(exc).__name__, str(exc), **exc.to_dict())

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "HTTP error", str(exc.detail))
