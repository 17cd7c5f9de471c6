"""The legacy upload API at ``/pypi/{index}/legacy/`` (twine, uv publish, poetry, hatch)."""

from __future__ import annotations

from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive

from packhouse.domain.digests import ClaimedDigests, parse_hex_digest
from packhouse.domain.model import Index
from packhouse.domain.roles import Action, Principal
from packhouse.errors import InvalidUpload, PackhouseError, TooLarge, Unauthorized
from packhouse.services.uploads import UploadRequest
from packhouse.web.deps import runtime_of
from packhouse.wiring import Runtime

#: Room for the form's other fields around the file itself.
_FORM_OVERHEAD = 8 * 1024 * 1024


async def legacy_upload(request: Request) -> Response:
    runtime = runtime_of(request)
    limit = runtime.settings.max_upload_size + _FORM_OVERHEAD
    _check_length(request, limit)
    principal, index = await _authorize(request, runtime)
    limited = Request(request.scope, _limited(request.receive, limit))
    form = await _read_form(limited, runtime.settings.max_metadata_size)
    try:
        upload, req = _parse(form)
        result = await run_in_threadpool(
            runtime.uploads.publish, index, principal, req, upload.file
        )
    finally:
        await form.close()
    note = "already uploaded" if result.version is None else f"index version {result.version}"
    return PlainTextResponse(f"OK: {result.filename} ({note})\n")


async def _authorize(request: Request, runtime: Runtime) -> tuple[Principal, Index]:
    """The caller and the index, once the caller may upload to it.

    A caller verified recently (under the accounts' generation read with the index's state)
    is checked on the event loop; anyone else goes through the full check in the thread pool.
    """
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthorized("uploads need credentials: a user name and password, or __token__")
    index_name: str = request.path_params["index"]
    client = request.client.host if request.client else None
    state = await runtime.states.lookup(index_name)
    if state is not None:
        cached = runtime.auth.cached(header, generation=state.auth_generation, remote_addr=client)
        index = runtime.access.known(index_name, state)
        if cached is not None and index is not None:
            runtime.access.check(cached, Action.UPLOAD, index)
            return replace(cached, remote_addr=client), index
    return await run_in_threadpool(_authorize_fully, runtime, header, client, index_name)


def _authorize_fully(
    runtime: Runtime, header: str, client: str | None, index_name: str
) -> tuple[Principal, Index]:
    principal = runtime.auth.authenticate(header, remote_addr=client)
    if principal is None:  # pragma: no cover - a header is there
        raise Unauthorized("uploads need credentials: a user name and password, or __token__")
    return principal, runtime.access.require(principal, Action.UPLOAD, index_name)


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit() and int(length) > limit:
        raise TooLarge(f"the upload is larger than the limit of {limit} bytes")


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise TooLarge(f"the upload is larger than the limit of {limit} bytes")
        return message

    return receive_limited


async def _read_form(request: Request, max_field: int) -> FormData:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InvalidUpload("uploads are multipart/form-data requests, as twine and uv send them")
    try:
        return await request.form(max_files=1, max_fields=1000, max_part_size=max_field)
    except PackhouseError:  # too large, too slow
        raise
    except Exception as exc:
        raise InvalidUpload(f"malformed upload form: {exc}") from None


def _parse(form: FormData) -> tuple[UploadFile, UploadRequest]:
    action = _field(form, ":action")
    if action != "file_upload":
        raise InvalidUpload(f"unsupported :action {action!r}; only file_upload is supported")
    protocol = _field(form, "protocol_version", default="1")
    if protocol != "1":
        raise InvalidUpload(f"unsupported protocol_version {protocol!r}; use 1")
    content = form.get("content")
    if not isinstance(content, UploadFile) or not content.filename:
        raise InvalidUpload("the form has no file in its 'content' field")
    return content, UploadRequest(
        name=_field(form, "name"),
        version=_field(form, "version"),
        filename=content.filename,
        filetype=_field(form, "filetype", default=""),
        digests=_digests(form),
    )


def _digests(form: FormData) -> ClaimedDigests:
    sha256 = _optional(form, "sha256_digest")
    md5 = _optional(form, "md5_digest")
    blake2 = _optional(form, "blake2_256_digest")
    if sha256 is None and md5 is None and blake2 is None:
        raise InvalidUpload("the form has no digest: send sha256_digest (twine and uv do)")
    return ClaimedDigests(
        sha256=parse_hex_digest("sha256_digest", sha256, length=64) if sha256 else None,
        md5=parse_hex_digest("md5_digest", md5, length=32) if md5 else None,
        blake2_256=parse_hex_digest("blake2_256_digest", blake2, length=64) if blake2 else None,
    )


def _optional(form: FormData, key: str) -> str | None:
    value = form.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidUpload(f"form field {key!r} must be text")
    return value


def _field(form: FormData, key: str, *, default: str | None = None) -> str:
    value = _optional(form, key)
    if value is None:
        if default is not None:
            return default
        raise InvalidUpload(f"the form is missing the {key!r} field")
    return value


def routes() -> list[Route]:
    return [
        Route("/pypi/{index}/legacy/", legacy_upload, methods=["POST"]),
        Route("/pypi/{index}/legacy", legacy_upload, methods=["POST"]),
    ]
