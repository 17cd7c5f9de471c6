"""Downloads: a file or its ``.metadata`` by URL parts, from any version of an index."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from packhouse.blobs import BlobStore
from packhouse.db.files import FileRepo
from packhouse.domain.model import Index
from packhouse.errors import NotFound

METADATA_SUFFIX = ".metadata"


@dataclass(frozen=True, slots=True)
class Download:
    """A blob to send: a local path when the store has one, else an opener."""

    filename: str
    sha256: str
    path: Path | None
    #: The path below the blob folder (``ab/cd/<sha256>``), for nginx; None for other stores.
    relative_path: str | None
    store: BlobStore
    #: The local file's stat, taken once (blobs never change), so sending needs no stat.
    stat: os.stat_result | None = None

    def open(self) -> BinaryIO:
        return self.store.open(self.sha256)


class DownloadService:
    """Finds the blob behind a file URL, and remembers it.

    A file URL, once it resolves in an index, resolves to the same blob for as long as the
    index exists: memberships are never deleted (removed files stay in old versions) and
    index ids are never reused. So the remembered answers never go stale.
    """

    def __init__(
        self, *, sessions: sessionmaker[Session], blobs: BlobStore, entries: int = 100_000
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self._entries = entries
        self._found: dict[tuple[int, str, str], Download] = {}
        self._lock = threading.Lock()

    def cached(self, index_id: int, sha256: str, filename: str) -> Download | None:
        """A download found before in this process; no I/O (the hot path's lookup)."""
        return self._found.get((index_id, sha256, filename))

    def find(self, index: Index, sha256: str, filename: str) -> Download:
        key = (index.id, sha256, filename)
        found = self._found.get(key)
        if found is None:
            found = self._find(index, sha256, filename)
            with self._lock:
                if len(self._found) >= self._entries:
                    self._found.clear()
                self._found[key] = found
        return found

    def _find(self, index: Index, sha256: str, filename: str) -> Download:
        wants_metadata = filename.endswith(METADATA_SUFFIX)
        dist_filename = filename.removesuffix(METADATA_SUFFIX) if wants_metadata else filename
        with self._sessions() as session:
            found = FileRepo(session).find_served_file(index.id, sha256, dist_filename)
        if found is None:
            raise NotFound(f"no file {filename!r} in index {index.name!r}")
        blob = found.sha256
        if wants_metadata:
            if found.metadata_sha256 is None:
                raise NotFound(f"no core metadata for {dist_filename!r}")
            blob = found.metadata_sha256
        path = self._blobs.local_path(blob)
        return Download(
            filename,
            blob,
            path=path,
            relative_path=self._blobs.relative_path(blob),
            store=self._blobs,
            stat=os.stat(path) if path is not None else None,
        )
