"""The management REST API under ``/api/v1`` (FastAPI, with its OpenAPI document)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from packhouse import __version__
from packhouse.domain.policy import RULES, Action
from packhouse.errors import PackhouseError
from packhouse.web.api import accounts, docs, indexes, projects
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
        docs_url=None,  # Swagger UI loads scripts from a CDN: see web/api/docs.py
        redoc_url=None,
        responses=ERRORS,
    )
    api.add_exception_handler(PackhouseError, handle_json)
    api.add_exception_handler(RequestValidationError, handle_validation)
    for module in (indexes, projects, accounts, docs):
        api.include_router(module.router)
    api.include_router(indexes.retired)
    _declare_security(api)
    return api


#: How callers authenticate (``Authorization`` header); a Basic password may be ``__token__``'s.
SECURITY_SCHEMES = {
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "A user name and password, or __token__ and an API token.",
    },
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API token (pkh_...)."},
}


def _declare_security(api: FastAPI) -> None:
    """Add the security schemes, and each operation's requirement, to the OpenAPI document."""
    # The policy's table says which operations anonymous callers may use: public reads.
    anonymous = set(RULES[Action.READ].operations)
    build = api.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for item in document["paths"].values():
            for operation in item.values():
                required: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}]
                optional: list[dict[str, list[str]]] = (
                    [{}] if operation["operationId"] in anonymous else []
                )
                operation["security"] = required + optional
        return document

    api.openapi = openapi  # type: ignore[method-assign]
