"""The Simple API (PEP 503/691) for the current and any old index version; plain Starlette."""

from __future__ import annotations

from packaging.utils import canonicalize_name
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from packhouse.domain.names import parse_project_name
from packhouse.services.pages import RenderedPage
from packhouse.web.deps import readable_index, runtime_of
from packhouse.web.hot import page_headers
from packhouse.web.negotiation import accepts_gzip, etag_matches, negotiate


async def index_page(request: Request) -> Response:
    index = await readable_index(request, request.path_params["index"])
    fmt = negotiate(request.headers.get("accept"), request.query_params.get("format"))
    pinned = "version" in request.path_params
    version = request.path_params["version"] if pinned else index.version
    pages = runtime_of(request).pages
    page = await run_in_threadpool(pages.index_page, index, version=version, fmt=fmt, pinned=pinned)
    return send_page(request, page, private=index.private, pinned=pinned)


async def project_page(request: Request) -> Response:
    raw_name = request.path_params["project"]
    index = await readable_index(request, request.path_params["index"])
    fmt = negotiate(request.headers.get("accept"), request.query_params.get("format"))
    project = parse_project_name(raw_name)
    if project != raw_name:
        return _redirect(request, raw_name, project)
    pinned = "version" in request.path_params
    version = request.path_params["version"] if pinned else index.version
    pages = runtime_of(request).pages
    page = await run_in_threadpool(
        pages.project_page, index, project, version=version, fmt=fmt, pinned=pinned
    )
    return send_page(request, page, private=index.private, pinned=pinned)


async def add_slash(request: Request) -> Response:
    url = request.url
    return RedirectResponse(url.replace(path=url.path + "/"), status_code=301)


def _redirect(request: Request, raw_name: str, project: str) -> Response:
    path = request.url.path
    head, _, _tail = path.rstrip("/").rpartition("/")
    assert canonicalize_name(raw_name) == project
    return RedirectResponse(request.url.replace(path=f"{head}/{project}/"), status_code=301)


def send_page(request: Request, page: RenderedPage, *, private: bool, pinned: bool) -> Response:
    """Send a rendered page: gzip when asked, 304 on a matching ETag, the right cache policy."""
    use_gzip = accepts_gzip(request.headers.get("accept-encoding"))
    headers = dict(page_headers(page, use_gzip=use_gzip, private=private, pinned=pinned))
    if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
        del headers["content-type"]
        return Response(status_code=304, headers=headers)
    return Response(page.gzip_body if use_gzip else page.body, headers=headers)


def routes() -> list[Route]:
    found = []
    for prefix in ("/pypi/{index}", "/pypi/{index}/versions/{version:int}"):
        found += [
            Route(prefix + "/simple/", index_page, methods=["GET"]),
            Route(prefix + "/simple", add_slash, methods=["GET"]),
            Route(prefix + "/simple/{project}/", project_page, methods=["GET"]),
            Route(prefix + "/simple/{project}", add_slash, methods=["GET"]),
        ]
    return found
