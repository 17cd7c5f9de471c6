"""create_app(settings): the Starlette hot path with the FastAPI management API mounted inside."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from packhouse.config import Settings
from packhouse.errors import PackhouseError
from packhouse.web import files, ops, pypi_json, simple, upload
from packhouse.web.deadline import BodyDeadline
from packhouse.web.errors import handle_not_found, handle_plain
from packhouse.web.forwarded import ForwardedHeaders, TrustedProxies
from packhouse.web.hot import HotPath
from packhouse.web.security import SecureResponses
from packhouse.wiring import build


class LazyApi:
    """The management API, built on its first request.

    FastAPI and the API's pydantic models cost a worker ~10 MB and a quarter of a second at
    start; a worker that only serves pip and uv never pays that.
    """

    def __init__(self, host: Starlette) -> None:
        self._host = host
        self._api: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._api is None:
            from packhouse.web.api import create_api

            api = create_api()
            api.state.runtime = self._host.state.runtime
            self._api = api
        await self._api(scope, receive, send)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> HotPath:
    """The ASGI application; ``uvicorn --factory packhouse.web.app:create_app`` serves it."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = build(settings, migrate=migrate)
        app.state.runtime = runtime
        try:
            yield
        finally:
            runtime.close()

    app = Starlette(
        lifespan=lifespan,
        exception_handlers={PackhouseError: handle_plain, 404: handle_not_found},
    )
    routes = [
        *simple.routes(),
        *files.routes(),
        *upload.routes(),
        *pypi_json.routes(),
        *ops.routes(),
        Mount("/api/v1", app=LazyApi(app)),
    ]
    app.router.routes.extend(routes)
    # Everything the hot path does not answer: bodies in time, safe headers and redirects.
    after = SecureResponses(
        BodyDeadline(app, timeout=settings.body_timeout, min_rate=settings.body_min_rate),
        base_url=settings.base_url,
    )
    return HotPath(app, after=after)


def create_worker_app() -> ASGIApp:
    """The application of a ``packhouse serve`` worker: the server migrated before forking.

    ``X-Forwarded-*`` are applied here, from ``PACKHOUSE_FORWARDED_ALLOW_IPS`` only, under
    granian and uvicorn alike.
    """
    settings = Settings()
    app = create_app(settings, migrate=False)
    trusted = TrustedProxies(settings.forwarded_allow_ips)
    return ForwardedHeaders(app, trusted) if trusted else app
