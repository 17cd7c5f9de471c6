"""The management REST API under ``/api/v1`` (FastAPI, with its OpenAPI document)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from packhouse import __version__
from packhouse.errors import PackhouseError
from packhouse.web.api import accounts, indexes, projects
from packhouse.web.api.schemas import ErrorOut
from packhouse.web.errors import handle_json

#: Every operation may answer these, with ``{"detail": "..."}``.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "Invalid input"),
        (401, "Credentials missing or wrong"),
        (403, "Not allowed"),
        (404, "Not found (or not visible to the caller)"),
        (409, "Conflicts with existing state"),
        (429, "Too many failed logins"),
    )
}


async def handle_validation(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, without echoing the submitted values (they may be passwords)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {key: value for key, value in error.items() if key not in ("input", "ctx", "url")}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def create_api() -> FastAPI:
    api = FastAPI(
        title="Packhouse management API",
        version=__version__,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        responses=ERRORS,
    )
    api.add_exception_handler(PackhouseError, handle_json)
    api.add_exception_handler(RequestValidationError, handle_validation)
    for module in (indexes, projects, accounts):
        api.include_router(module.router)
    return api
