"""Request-scoped helpers shared by the Starlette routes and the FastAPI dependencies."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from packhouse.domain.model import Index
from packhouse.domain.roles import Action, Principal
from packhouse.wiring import Runtime


def runtime_of(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


async def principal_of(conn: HTTPConnection) -> Principal | None:
    """The caller, from the Authorization header; None when anonymous."""
    header = conn.headers.get("authorization")
    if header is None:
        return None
    client = conn.client.host if conn.client else None
    return await run_in_threadpool(runtime_of(conn).auth.authenticate, header, remote_addr=client)


async def readable_index(conn: HTTPConnection, name: str) -> Index:
    """The index by name, once the caller may read it (credentials checked only when needed)."""
    runtime = runtime_of(conn)
    index = await run_in_threadpool(runtime.access.index, name)
    if index.private:
        principal = await principal_of(conn)
        runtime.access.check(principal, Action.READ, index)
    return index


def public_url(conn: HTTPConnection, path: str) -> str:
    """A URL for a path on this server: under ``PACKHOUSE_BASE_URL`` when set, else the path.

    Never built from the request's ``Host``, which the client chooses.
    """
    base = runtime_of(conn).settings.base_url or ""
    return base.rstrip("/") + "/" + path.lstrip("/")
