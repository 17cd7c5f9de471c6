"""create_app(settings): the Starlette hot path with the FastAPI management API mounted inside."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Mount

from packhouse.config import Settings
from packhouse.errors import PackhouseError
from packhouse.web import files, ops, pypi_json, simple, upload
from packhouse.web.api import create_api
from packhouse.web.errors import handle_not_found, handle_plain
from packhouse.web.hot import HotPath
from packhouse.wiring import build


def create_app(settings: Settings | None = None) -> HotPath:
    """The ASGI application; ``uvicorn --factory packhouse.web.app:create_app`` serves it."""
    settings = settings or Settings()
    api = create_api()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = build(settings)
        app.state.runtime = api.state.runtime = runtime
        try:
            yield
        finally:
            runtime.close()

    routes = [
        *simple.routes(),
        *files.routes(),
        *upload.routes(),
        *pypi_json.routes(),
        *ops.routes(),
        Mount("/api/v1", app=api),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={PackhouseError: handle_plain, 404: handle_not_found},
    )
    return HotPath(app)
