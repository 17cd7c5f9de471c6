"""Helpers to read Simple API pages in tests: anchors of an HTML page, pinned URLs, fresh GETs."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import httpx

JSON = "application/vnd.pypi.simple.v1+json"
#: What pip sends (pip >= 22.2).
PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: dict[str, dict[str, str | None]] = {}
        self._attrs: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attrs, self._text = dict(attrs), ""

    def handle_data(self, data: str) -> None:
        if self._attrs is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._attrs is not None:
            self.anchors[self._text] = self._attrs
            self._attrs = None


def anchors(html: str) -> dict[str, dict[str, str | None]]:
    """``{link text: attributes (unescaped)}`` of every anchor of an HTML page."""
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    return parser.anchors


def simple_path(index: str, project: str | None = None, *, version: int | None = None) -> str:
    """The path of a Simple API page, current or pinned to an index version."""
    base = f"/pypi/{index}" + (f"/versions/{version}" if version is not None else "")
    return f"{base}/simple/" + (f"{project}/" if project else "")


def json_page(http: httpx.Client, path: str) -> dict[str, Any]:
    response = http.get(path, headers={"Accept": JSON})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON
    body: dict[str, Any] = response.json()
    return body


def html_page(http: httpx.Client, path: str) -> str:
    response = http.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def filenames(body: dict[str, Any]) -> set[str]:
    return {f["filename"] for f in body["files"]}


def fresh_get(url: str, **kwargs: Any) -> httpx.Response:
    """A GET on a new connection (so that repeated calls can land on any worker process)."""
    with httpx.Client(timeout=30) as client:
        return client.get(url, **kwargs)


def index_version(http: httpx.Client, index: str) -> int:
    response = http.get(f"/api/v1/indexes/{index}")
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version
