"""``/api/v1/docs``: the operations of the OpenAPI document as one static page, with no scripts.

Swagger UI would load its scripts from a CDN (blank without internet, and a request to a third
party); this page needs nothing but the document the server already has.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter()

#: No scripts, no external anything: inline styles only.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;"
    "text-align:left;vertical-align:top}code{white-space:nowrap}"
)


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    document: dict[str, Any] = request.app.openapi()
    page = render(document)
    return HTMLResponse(page, headers={"content-security-policy": POLICY})


def render(document: dict[str, Any]) -> str:
    """The page: title, a link to the JSON document, and a row per operation.

    >>> doc = {"info": {"title": "T", "version": "1"}, "paths": {"/a": {"get": {
    ...     "operationId": "a", "summary": "<A>", "security": [{"basic": []}]}}}}
    >>> "&lt;A&gt;" in render(doc) and "basic" in render(doc)
    True
    """
    info = document.get("info", {})
    title = escape(f"{info.get('title', '')} {info.get('version', '')}")
    rows = [
        _row(method, path, operation)
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
    ]
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
        f"<style>{_STYLE}</style><h1>{title}</h1>"
        "<p>The machine-readable document: <a href=openapi.json>openapi.json</a>. "
        "Paths are relative to <code>/api/v1</code>. Authenticate with HTTP Basic (a user "
        "name and password, or <code>__token__</code> and an API token) or "
        "<code>Authorization: Bearer</code> with an API token.</p>"
        "<table><tr><th>method<th>path<th>operation<th>credentials<th>what</tr>"
        + "".join(rows)
        + "</table></html>"
    )


def _row(method: str, path: str, operation: dict[str, Any]) -> str:
    security = operation.get("security", [])
    schemes = sorted({name for requirement in security for name in requirement})
    credentials = ", ".join(schemes) + (" (optional)" if {} in security else "")
    what = operation.get("summary", "") + ". " + operation.get("description", "")
    return (
        f"<tr><td>{escape(method.upper())}<td><code>{escape(path)}</code>"
        f"<td><code>{escape(operation.get('operationId', ''))}</code>"
        f"<td>{escape(credentials)}<td>{escape(what.strip(' .'))}</tr>"
    )
