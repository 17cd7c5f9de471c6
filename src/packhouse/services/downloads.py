"""Downloads: a file or its ``.metadata`` by URL parts, from any version of an index."""

from __future__ import annotations

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

    def open(self) -> BinaryIO:
        return self.store.open(self.sha256)


class DownloadService:
    """Finds the blob behind a file URL."""

    def __init__(self, *, sessions: sessionmaker[Session], blobs: BlobStore) -> None:
        self._sessions = sessions
        self._blobs = blobs

    def find(self, index: Index, sha256: str, filename: str) -> Download:
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
        return Download(
            filename,
            blob,
            path=self._blobs.local_path(blob),
            relative_path=self._blobs.relative_path(blob),
            store=self._blobs,
        )
