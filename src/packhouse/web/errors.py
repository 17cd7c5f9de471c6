"""The one table from PackhouseError to HTTP status, rendered per surface."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from packhouse.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PackhouseError,
    Throttled,
    TimedOut,
    TooLarge,
    Unauthorized,
    UpstreamUnavailable,
)
from packhouse.web.negotiation import NotAcceptable

#: Most specific first.
STATUS: tuple[tuple[type[PackhouseError], int], ...] = (
    (TooLarge, 413),
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotAcceptable, 406),
    (Throttled, 429),
    (TimedOut, 408),
    (UpstreamUnavailable, 502),
)

CHALLENGE = {"WWW-Authenticate": 'Basic realm="packhouse", charset="UTF-8"'}


def status_of(error: PackhouseError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 500


def _headers(error: PackhouseError) -> dict[str, str]:
    if isinstance(error, Unauthorized):
        return dict(CHALLENGE)
    if isinstance(error, Throttled):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, TimedOut):
        return {"Connection": "close"}  # the rest of the body is never read
    return {}


def plain_error(error: PackhouseError) -> Response:
    """Package-tool surfaces (upload, Simple API, files): one line of text."""
    return PlainTextResponse(
        error.message + "\n", status_code=status_of(error), headers=_headers(error)
    )


def json_error(error: PackhouseError) -> Response:
    """The management API: ``{"detail": ...}``."""
    return JSONResponse(
        {"detail": error.message}, status_code=status_of(error), headers=_headers(error)
    )


async def handle_plain(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PackhouseError)
    return plain_error(exc)


async def handle_json(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PackhouseError)
    return json_error(exc)


async def handle_not_found(request: Request, _exc: Exception) -> Response:
    """A URL no route matches: JSON under the management API, one line of text elsewhere."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return PlainTextResponse("Not Found\n", status_code=404)
