"""Folder blob store: temporary file, fsync, atomic rename into sha256-sharded paths."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO

from packhouse.domain.digests import DigestHasher, Digests
from packhouse.errors import NotFound, TooLarge

_CHUNK = 1024 * 1024
#: A temporary file untouched this long belongs to a process that died.
_STALE_SECONDS = 24 * 3600


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


class FolderBlobStore:
    """Blobs at ``root/ab/cd/<sha256>``; temporary files in ``root/tmp`` on the same filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._sweep_stale_temporaries()

    def _sweep_stale_temporaries(self) -> None:
        """Drop temporary files a crashed process left (never visible; old enough to be dead)."""
        cutoff = time.time() - _STALE_SECONDS
        for leftover in self._tmp.iterdir():
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    def path_for(self, sha256: str) -> Path:
        return self.root / self.relative_path(sha256)

    def relative_path(self, sha256: str) -> str:
        """``ab/cd/<sha256>``, below ``root``; only ever built from a valid sha256."""
        if not _is_sha256(sha256):
            raise NotFound(f"no blob {sha256!r}")
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def stage(self, stream: BinaryIO, *, max_size: int) -> _StagedFile:
        hasher = DigestHasher()
        fd, name = _create_temporary(self._tmp, "upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    hasher.update(chunk)
                    if hasher.size > max_size:
                        raise TooLarge(
                            f"the file is larger than the limit of {max_size} bytes; "
                            "ask an admin to raise PACKHOUSE_MAX_UPLOAD_SIZE"
                        )
                    out.write(chunk)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise
        return _StagedFile(self, Path(name), hasher.digests())

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.exists(sha256):
            fd, name = _create_temporary(self._tmp, "put-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            self._move_into_place(Path(name), sha256)
        return sha256

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path_for(sha256).open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {sha256} is missing from the store") from None

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def local_path(self, sha256: str) -> Path | None:
        return self.path_for(sha256)

    def check(self) -> None:
        if not os.access(self._tmp, os.W_OK):
            raise OSError(f"blob folder {self._tmp} is not writable")

    def _move_into_place(self, temp: Path, sha256: str) -> None:
        final = self.path_for(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)  # atomic; the same name always holds the same bytes
        _fsync_dir(final.parent)


class _StagedFile:
    def __init__(self, store: FolderBlobStore, path: Path, digests: Digests) -> None:
        self._store = store
        self._path: Path | None = path
        self.digests = digests

    def open(self) -> BinaryIO:
        assert self._path is not None, "staged blob already committed or discarded"
        return self._path.open("rb")

    def commit(self) -> None:
        """Flush the bytes to disk and rename them into place.

        Staging does not flush, so an upload found to be a no-op, or refused, costs no fsync.
        """
        assert self._path is not None, "staged blob already committed or discarded"
        _fsync_file(self._path)
        self._store._move_into_place(self._path, self.digests.sha256)
        self._path = None

    def discard(self) -> None:
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
            self._path = None


def _create_temporary(directory: Path, prefix: str) -> tuple[int, str]:
    """A new file with the mode ``open()`` gives (0666 less the umask), not mkstemp's 0600.

    Blobs keep that mode, so a web server in front (nginx with ``X-Accel-Redirect``) can read
    them when it runs as another user; restrict access with the umask or the folder's mode.
    """
    while True:
        name = directory / f"{prefix}{secrets.token_hex(8)}"
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), str(name)
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    _fsync_file(directory)
