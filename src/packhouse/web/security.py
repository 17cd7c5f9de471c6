"""What every response carries, whoever builds it: no content sniffing, no scripts, and no
``Host`` header echoed back in a redirect.

The hot path puts :data:`PAGE_HEADERS` in its precomputed header lists; every response of the
routes and of the management API passes through :class:`SecureResponses`, which adds them (a
response that sets its own policy keeps it) and rewrites redirects that name the request's own
``Host``: to ``PACKHOUSE_BASE_URL`` when set, else to a path on this server. A client could
otherwise make Packhouse (and any cache in front) send others to a host of its choosing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOSNIFF = (b"x-content-type-options", b"nosniff")
#: Nothing loads, nothing runs, nothing frames us: the Simple API's HTML and every error need
#: nothing else, and JSON or files are never rendered as a document anyway.
CSP = (
    b"content-security-policy",
    b"default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
)
#: For every response: pages, JSON, files and errors alike.
PAGE_HEADERS = (NOSNIFF, CSP)

_NAMES = frozenset(name for name, _value in PAGE_HEADERS)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class SecureResponses:
    """Adds :data:`PAGE_HEADERS` where missing; keeps a redirect from naming the ``Host`` sent."""

    def __init__(self, app: ASGIApp, *, base_url: str | None = None) -> None:
        self.app = app
        self.base = (base_url or "").rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(scope, message)}
            await send(message)

        await self.app(scope, receive, send_secured)

    def _headers(self, scope: Scope, message: Message) -> list[tuple[bytes, bytes]]:
        headers = list(message.get("headers", ()))
        present = {name.lower() for name, _value in headers} & _NAMES
        headers += [header for header in PAGE_HEADERS if header[0] not in present]
        if message["status"] in _REDIRECTS:
            headers = [
                (name, self._location(scope, value) if name.lower() == b"location" else value)
                for name, value in headers
            ]
        return headers

    def _location(self, scope: Scope, value: bytes) -> bytes:
        """A redirect to this server, as a path (or under the base URL), never via ``Host``."""
        target = urlsplit(value.decode("latin-1"))
        if not target.netloc or target.netloc != _host(scope):
            return value
        path = target.path or "/"
        query = f"?{target.query}" if target.query else ""
        return f"{self.base}{path}{query}".encode("latin-1")


def _host(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    server = scope.get("server")
    return f"{server[0]}:{server[1]}" if server else None
