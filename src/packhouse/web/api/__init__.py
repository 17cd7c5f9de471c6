"""The management REST API under ``/api/v1`` (FastAPI, with its OpenAPI document)."""

from __future__ import annotations

from fastapi import FastAPI

from packhouse import __version__
from packhouse.errors import PackhouseError
from packhouse.web.api import indexes
from packhouse.web.errors import handle_json


def create_api() -> FastAPI:
    api = FastAPI(
        title="Packhouse management API",
        version=__version__,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.add_exception_handler(PackhouseError, handle_json)
    api.include_router(indexes.router)
    return api
