"""Operational endpoints: ``/healthz``."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from packhouse.web.deps import runtime_of


async def healthz(request: Request) -> Response:
    try:
        await run_in_threadpool(runtime_of(request).check)
    except Exception as exc:
        return JSONResponse(
            {"status": "unavailable", "detail": type(exc).__name__}, status_code=503
        )
    return JSONResponse({"status": "ok"})


def routes() -> list[Route]:
    return [Route("/healthz", healthz, methods=["GET"])]
