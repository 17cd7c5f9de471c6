"""Simple API pages for (index, version, project, format), rendered once and cached by version."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from packaging.utils import NormalizedName
from packaging.version import Version
from sqlalchemy.orm import Session, sessionmaker

from packhouse.db.files import FileRepo, LiveFile
from packhouse.domain.model import Index
from packhouse.domain.pages import (
    IndexPage,
    PageFile,
    PageFormat,
    ProjectPage,
    render_index,
    render_project,
)
from packhouse.errors import NotFound


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page's bytes, ready to send: plain and gzip, each with its strong ETag."""

    body: bytes
    etag: str
    gzip_body: bytes
    gzip_etag: str
    content_type: str
    #: Response headers as sent on the wire, built once per (gzip, private, pinned) by the
    #: hot path.
    wire_headers: dict[tuple[bool, bool, bool], list[tuple[bytes, bytes]]] = field(
        default_factory=dict, compare=False, hash=False
    )


@dataclass(frozen=True, slots=True)
class PageKey:
    index_id: int
    version: int
    #: The normalized project name; None for the root page.
    project: str | None
    fmt: PageFormat
    #: Whether the page is served at a /versions/N/ URL (its relative links differ).
    pinned: bool


class PageCache:
    """A bounded cache of rendered pages; keys carry the version, so entries never go stale.

    Reads take no lock (the hot path reads on the event loop, renders write from threads):
    a hit is one dict lookup. Eviction drops the oldest insertion, and pages of old index
    versions age out that way as new versions are rendered.
    """

    def __init__(self, *, entries: int) -> None:
        self._entries = entries
        self._pages: dict[PageKey, RenderedPage] = {}
        self._lock = threading.Lock()

    def get(self, key: PageKey) -> RenderedPage | None:
        return self._pages.get(key)

    def put(self, key: PageKey, page: RenderedPage) -> None:
        if self._entries == 0:
            return
        with self._lock:
            self._pages.pop(key, None)
            self._pages[key] = page
            while len(self._pages) > self._entries:
                del self._pages[next(iter(self._pages))]


class PageService:
    """Builds and caches Simple API pages."""

    def __init__(self, *, sessions: sessionmaker[Session], cache: PageCache) -> None:
        self._sessions = sessions
        self._cache = cache
        #: One lock per page being rendered: concurrent misses wait for one render.
        self._rendering: dict[PageKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def project_page(
        self, index: Index, project: NormalizedName, *, version: int, fmt: PageFormat, pinned: bool
    ) -> RenderedPage:
        _check_version(index, version)
        key = PageKey(index.id, version, project, fmt, pinned)
        return self._page(
            key, lambda: render_project(self._project_model(index, project, key), fmt)
        )

    def index_page(
        self, index: Index, *, version: int, fmt: PageFormat, pinned: bool
    ) -> RenderedPage:
        _check_version(index, version)
        key = PageKey(index.id, version, None, fmt, pinned)

        def render() -> bytes:
            with self._sessions() as session:
                projects = FileRepo(session).live_projects(index.id, version)
            return render_index(IndexPage(projects), fmt)

        return self._page(key, render)

    def _page(self, key: PageKey, render: Callable[[], bytes]) -> RenderedPage:
        """The cached page, or one render of it however many requests miss at once."""
        page = self._cache.get(key)
        if page is not None:
            return page
        with self._guard:
            lock = self._rendering.setdefault(key, threading.Lock())
        try:
            with lock:
                page = self._cache.get(key)
                if page is None:
                    page = _finish(render(), key.fmt)
                    self._cache.put(key, page)
        finally:
            with self._guard:
                self._rendering.pop(key, None)
        return page

    def _project_model(self, index: Index, project: str, key: PageKey) -> ProjectPage:
        with self._sessions() as session:
            repo = FileRepo(session)
            files = repo.live_files(index.id, key.version, project=project)
            yanks = repo.live_yanks(index.id, key.version, project=project)
        if not files:
            raise NotFound(f"no project {project!r} in index {index.name!r}")
        files = sorted(files, key=lambda f: (Version(f.version), f.filename))
        prefix = "../../../../files/" if key.pinned else "../../files/"
        return ProjectPage(
            name=project,
            files=[_page_file(f, prefix, yanks.get((f.project, f.release))) for f in files],
            versions=sorted({f.version for f in files}, key=Version),
        )


def _page_file(f: LiveFile, prefix: str, yanked: str | None) -> PageFile:
    return PageFile(
        filename=f.filename,
        url=f"{prefix}{f.sha256}/{f.filename}",
        sha256=f.sha256,
        size=f.size,
        upload_time=f.uploaded_at,
        requires_python=f.requires_python,
        yanked=yanked,
        metadata_sha256=f.metadata_sha256,
    )


def _check_version(index: Index, version: int) -> None:
    if not 0 <= version <= index.version:
        raise NotFound(
            f"index {index.name!r} has no version {version}; its newest is {index.version}"
        )


def _finish(body: bytes, fmt: PageFormat) -> RenderedPage:
    # Large pages (a root page of 100,000 projects) compress three times faster at level 1,
    # for 1% more bytes; small ones keep level 6.
    level = 1 if len(body) > 64 * 1024 else 6
    compressed = gzip.compress(body, compresslevel=level, mtime=0)
    content_type = fmt.value if fmt is PageFormat.JSON else f"{fmt.value}; charset=utf-8"
    # A representation is its bytes and its type: the same HTML as text/html and as
    # application/vnd.pypi.simple.v1+html gets two ETags.
    digest = hashlib.blake2b(content_type.encode() + b"\n" + body, digest_size=16).hexdigest()
    return RenderedPage(
        body=body,
        etag=f'"{digest}"',
        gzip_body=compressed,
        gzip_etag=f'"{digest}-gz"',
        content_type=content_type,
    )
