"""The blob store port: content-addressed file storage; ``open_store(url)`` picks an adapter."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlparse

from packhouse.domain.digests import Digests
from packhouse.errors import Invalid


class StagedBlob(Protocol):
    """Bytes written to temporary storage and hashed, not yet visible in the store."""

    digests: Digests

    def open(self) -> BinaryIO:
        """Read the staged bytes (to inspect an archive before accepting it)."""
        ...

    def commit(self, *extras: bytes) -> list[str]:
        """Make the bytes visible under their sha256; idempotent if already there.

        Small ``extras`` (core metadata) are stored in the same flush; returns their sha256s.
        """
        ...

    def discard(self) -> None:
        """Drop the staged bytes; safe to call after commit (then it does nothing)."""
        ...


class BlobStore(Protocol):
    """Content-addressed storage of files by their sha256."""

    def stage(self, stream: BinaryIO, *, max_size: int) -> StagedBlob:
        """Copy a stream to temporary storage while hashing it; ``TooLarge`` past ``max_size``."""
        ...

    def put_bytes(self, data: bytes) -> str:
        """Store small bytes at once (core metadata); return their sha256."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading; ``NotFound`` if missing."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def local_path(self, sha256: str) -> Path | None:
        """A filesystem path for zero-copy sending, when the store is a local folder."""
        ...

    def relative_path(self, sha256: str) -> str | None:
        """The blob's path below the store's root folder (for nginx); None if not a folder."""
        ...

    def check(self) -> None:
        """Raise if the store cannot be used (for ``/healthz``)."""
        ...


def open_store(url: str) -> BlobStore:
    """Open the blob store a storage URL names (``file:///path`` for now)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        from packhouse.blobs.fs import FolderBlobStore

        return FolderBlobStore(Path(unquote(parsed.path)))
    raise Invalid(f"unsupported storage URL {url!r}: use file:///path (s3:// comes later)")
