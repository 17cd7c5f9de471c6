"""File and ``.metadata`` downloads: strong ETag, ranges, immutable caching; plain Starlette."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from packhouse.services.downloads import METADATA_SUFFIX, Download
from packhouse.web.deps import readable_index, runtime_of
from packhouse.web.negotiation import etag_matches
from packhouse.web.security import PAGE_HEADERS

_SECURITY = {name.decode(): value.decode() for name, value in PAGE_HEADERS}
_CONTENT_TYPES = {
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".tar.gz": "application/x-tar-gz",
    METADATA_SUFFIX: "text/plain; charset=utf-8",
}


async def download(request: Request) -> Response:
    index = await readable_index(request, request.path_params["index"])
    sha256 = request.path_params["sha256"]
    filename = request.path_params["filename"]
    runtime = runtime_of(request)
    found = await run_in_threadpool(runtime.downloads.find, index, sha256, filename)
    return file_response(
        found,
        private=index.private,
        if_none_match=request.headers.get("if-none-match"),
        accel_prefix=runtime.settings.accel_redirect_prefix,
    )


def file_response(
    found: Download, *, private: bool, if_none_match: str | None, accel_prefix: str | None
) -> Response:
    """The answer for a found file: 304, an X-Accel-Redirect, the file, or a stream."""
    headers = {
        **_SECURITY,
        "ETag": f'"{found.sha256}"',
        "Cache-Control": ("private" if private else "public") + ", max-age=31536000, immutable",
    }
    if etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    media_type = _content_type(found.filename)
    if accel_prefix is not None and found.relative_path is not None:
        return _accel_redirect(accel_prefix + found.relative_path, headers, media_type)
    if found.path is not None:
        return FileResponse(
            found.path, headers=headers, media_type=media_type, stat_result=found.stat
        )
    return _stream(found, headers, media_type)  # pragma: no cover - object stores come later


def _accel_redirect(target: str, headers: dict[str, str], media_type: str) -> Response:
    """An empty answer telling nginx to send the blob; ``target`` is built from its sha256 only."""
    return Response(headers={**headers, "X-Accel-Redirect": target}, media_type=media_type)


def _stream(found: Download, headers: dict[str, str], media_type: str) -> Response:
    def chunks() -> Iterator[bytes]:
        with found.open() as blob:
            while chunk := blob.read(1024 * 1024):
                yield chunk

    return StreamingResponse(chunks(), headers=headers, media_type=media_type)


def _content_type(filename: str) -> str:
    for suffix, media_type in _CONTENT_TYPES.items():
        if filename.endswith(suffix):
            return media_type
    return "application/octet-stream"


def routes() -> list[Route]:
    return [Route("/pypi/{index}/files/{sha256}/{filename}", download, methods=["GET"])]
