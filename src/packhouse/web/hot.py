"""The hot path: cached pages and known files answered by a bare ASGI layer in front of the app.

Only the common case is handled here: a GET or HEAD of a page or file of an index this process
has served before, for its current (or a pinned) version, with no query string, on a public
index or on a private one by a caller whose credentials were verified recently (under the same
accounts generation, read in the same lookup). A page not rendered yet, or a file not looked up
yet, costs one trip to the thread pool for the same services the routes use. Anything else (an
index not seen yet, a name to redirect, an error to explain) falls through to the Starlette
routes, which answer it and fill the same caches.
"""

from __future__ import annotations

from packaging.utils import NormalizedName
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from packhouse.db.state import IndexState
from packhouse.domain.pages import PageFormat
from packhouse.domain.policy import can
from packhouse.domain.roles import Action
from packhouse.errors import PackhouseError
from packhouse.services.downloads import Download
from packhouse.services.pages import PageKey, RenderedPage
from packhouse.web.files import file_response
from packhouse.web.negotiation import NotAcceptable, accepts_gzip, etag_matches, negotiate
from packhouse.web.security import PAGE_HEADERS
from packhouse.wiring import Runtime

#: Sent with every page, precomputed once per page and shape like the rest.
_SECURITY = [(name.decode(), value.decode()) for name, value in PAGE_HEADERS]
IMMUTABLE = "max-age=31536000, immutable"
REVALIDATE = "max-age=0, must-revalidate"


def page_headers(
    page: RenderedPage, *, use_gzip: bool, private: bool, pinned: bool
) -> list[tuple[str, str]]:
    """The headers of a page response (without length); shared by both paths."""
    cache = ("private, " if private else "public, ") + (IMMUTABLE if pinned else REVALIDATE)
    headers = [
        ("etag", page.gzip_etag if use_gzip else page.etag),
        ("cache-control", cache),
        (
            "vary",
            "Accept, Accept-Encoding, Authorization" if private else "Accept, Accept-Encoding",
        ),
        ("content-type", page.content_type),
        *_SECURITY,
    ]
    if use_gzip:
        headers.append(("content-encoding", "gzip"))
    return headers


class HotPath:
    """Answers page and file requests without routing: from memory, or one thread-pool trip."""

    def __init__(self, app: Starlette, *, after: ASGIApp | None = None) -> None:
        self.app = app
        #: Where everything not served here goes: the app, or ``after`` wrapped around it.
        self._next = after or app
        self._formats: dict[bytes, PageFormat | None] = {}
        self._encodings: dict[bytes, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve from the cache when possible, else hand the request to the app."""
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope["query_string"]
            and scope["path"].startswith("/pypi/")
            and (
                await self._serve(scope, send)
                if "/files/" not in scope["path"]
                else await self._serve_file(scope, receive, send)
            )
        ):
            return
        await self._next(scope, receive, send)

    async def _serve_file(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """A file or ``.metadata`` this process has found before: no routing, no ORM."""
        parts = scope["path"].split("/")
        # ['', 'pypi', index, 'files', sha256, filename]
        if len(parts) != 6 or parts[3] != "files" or not parts[5]:
            return False
        runtime: Runtime = self.app.state.runtime
        state = await runtime.states.lookup(parts[2])
        if state is None:
            return False
        if_none_match = authorization = None
        for key, value in scope["headers"]:
            if key == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif key == b"authorization":
                authorization = value
        if state.private and not _may_read(runtime, state, authorization, scope):
            return False
        found = runtime.downloads.cached(state.id, parts[4], parts[5])
        if found is None:
            found = await self._find(runtime, parts[2], state, parts[4], parts[5])
            if found is None:
                return False
        response = file_response(
            found,
            private=state.private,
            if_none_match=if_none_match,
            accel_prefix=runtime.settings.accel_redirect_prefix,
        )
        await response(scope, receive, send)
        return True

    async def _serve(self, scope: Scope, send: Send) -> bool:
        target = _parse(scope["path"])
        if target is None:
            return False
        index_name, pinned_version, project = target
        accept = accept_encoding = b""
        if_none_match = authorization = None
        for key, value in scope["headers"]:
            if key == b"accept":
                accept = value
            elif key == b"accept-encoding":
                accept_encoding = value
            elif key == b"if-none-match":
                if_none_match = value
            elif key == b"authorization":
                authorization = value
        fmt = self._format(accept)
        if fmt is None:
            return False
        runtime: Runtime = self.app.state.runtime
        state = await runtime.states.lookup(index_name)
        if state is None:
            return False
        if state.private and not _may_read(runtime, state, authorization, scope):
            return False
        version = state.version if pinned_version is None else pinned_version
        if version > state.version:
            return False
        key = PageKey(state.id, version, project, fmt, pinned_version is not None)
        page = runtime.page_cache.get(key)
        if page is None:
            page = await self._render(runtime, index_name, state, key)
            if page is None:
                return False
        await _send_page(
            send,
            page,
            use_gzip=self._gzip(accept_encoding),
            private=state.private,
            pinned=pinned_version is not None,
            if_none_match=if_none_match,
            head=scope["method"] == "HEAD",
        )
        return True

    @staticmethod
    async def _find(
        runtime: Runtime, index_name: str, state: IndexState, sha256: str, filename: str
    ) -> Download | None:
        """A file not looked up in this process yet; None to let the routes answer."""
        index = runtime.access.known(index_name, state)
        if index is None:
            return None
        try:
            return await run_in_threadpool(runtime.downloads.find, index, sha256, filename)
        except PackhouseError:
            return None  # the route says why, in its own words

    @staticmethod
    async def _render(
        runtime: Runtime, index_name: str, state: IndexState, key: PageKey
    ) -> RenderedPage | None:
        """A page not rendered in this process yet; None to let the routes answer."""
        index = runtime.access.known(index_name, state)
        if index is None:
            return None
        pages = runtime.pages
        try:
            if key.project is None:
                return await run_in_threadpool(
                    pages.index_page, index, version=key.version, fmt=key.fmt, pinned=key.pinned
                )
            return await run_in_threadpool(
                pages.project_page,
                index,
                NormalizedName(key.project),
                version=key.version,
                fmt=key.fmt,
                pinned=key.pinned,
            )
        except PackhouseError:
            return None  # no such project or version: the route says so

    def _gzip(self, accept_encoding: bytes) -> bool:
        try:
            return self._encodings[accept_encoding]
        except KeyError:
            allowed = accepts_gzip(accept_encoding.decode("latin-1"))
            if len(self._encodings) < 1000:
                self._encodings[accept_encoding] = allowed
            return allowed

    def _format(self, accept: bytes) -> PageFormat | None:
        try:
            return self._formats[accept]
        except KeyError:
            pass
        try:
            fmt: PageFormat | None = negotiate(accept.decode("latin-1") or None)
        except NotAcceptable:
            fmt = None
        if len(self._formats) < 1000:
            self._formats[accept] = fmt
        return fmt


def _may_read(
    runtime: Runtime, state: IndexState, authorization: bytes | None, scope: Scope
) -> bool:
    """Whether recently verified credentials let the caller read a private index."""
    if authorization is None:
        return False
    client = scope.get("client")
    principal = runtime.auth.cached(
        authorization.decode("latin-1"),
        generation=state.auth_generation,
        remote_addr=client[0] if client else None,
    )
    return principal is not None and can(principal, Action.READ, index_id=state.id, private=True)


def _parse(path: str) -> tuple[str, int | None, str | None] | None:
    """``(index, pinned version, project)`` of a page URL, or None for anything else.

    >>> _parse("/pypi/a/simple/"), _parse("/pypi/a/simple/b-c/")
    (('a', None, None), ('a', None, 'b-c'))
    >>> _parse("/pypi/a/versions/3/simple/")
    ('a', 3, None)
    >>> _parse("/pypi/a/simple/B_c/") is None, _parse("/pypi/a/files/x") is None
    (True, True)
    >>> _parse("/pypi/a/versions/\u00b2/simple/") is None  # a digit to isdigit(), not to int()
    True
    """
    parts = path.split("/")
    # ['', 'pypi', index, 'simple', ('' | project, '')] or with 'versions', N before 'simple'
    if len(parts) < 5 or parts[-1] != "":
        return None
    index = parts[2]
    rest = parts[3:-1]
    version: int | None = None
    if rest and rest[0] == "versions":
        if len(rest) < 3 or not (rest[1].isascii() and rest[1].isdigit()):
            return None
        version = int(rest[1])
        rest = rest[2:]
    if not rest or rest[0] != "simple" or len(rest) > 2:
        return None
    if len(rest) == 1:
        return index, version, None
    project = rest[1]
    if not project or not _is_normalized(project):
        return None
    return index, version, project


def _is_normalized(name: str) -> bool:
    return (
        name.isascii()
        and name == name.lower()
        and all(c.isalnum() or c == "-" for c in name)
        and "--" not in name
    )


async def _send_page(
    send: Send,
    page: RenderedPage,
    *,
    use_gzip: bool,
    private: bool,
    pinned: bool,
    if_none_match: bytes | None,
    head: bool,
) -> None:
    shape = (use_gzip, private, pinned)
    raw = page.wire_headers.get(shape)
    if raw is None:
        headers = page_headers(page, use_gzip=use_gzip, private=private, pinned=pinned)
        raw = [(k.encode(), v.encode()) for k, v in headers]
        raw.append(
            (b"content-length", str(len(page.gzip_body if use_gzip else page.body)).encode())
        )
        page.wire_headers[shape] = raw
    etag = page.gzip_etag if use_gzip else page.etag
    if if_none_match is not None and etag_matches(if_none_match.decode("latin-1"), etag):
        kept = [(k, v) for k, v in raw if k not in (b"content-type", b"content-length")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    body = page.gzip_body if use_gzip else page.body
    await send({"type": "http.response.start", "status": 200, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if head else body})
