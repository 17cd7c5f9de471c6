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
            self._move_into_place([(self._write_temporary(data), sha256)])
        return sha256

    def _write_temporary(self, data: bytes) -> Path:
        """A flushed temporary file holding ``data``, not yet in place."""
        fd, name = _create_temporary(self._tmp, "put-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            _unlink_quietly(Path(name))
            raise
        return Path(name)

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

    def _move_into_place(self, moves: list[tuple[Path, str]]) -> None:
        """Rename flushed temporaries to their blob paths; flush each folder touched once."""
        folders: dict[Path, None] = {}
        for temp, sha256 in moves:
            final = self.path_for(sha256)
            if final.parent not in folders:
                final.parent.mkdir(parents=True, exist_ok=True)
                folders[final.parent] = None
            os.replace(temp, final)  # atomic; the same name always holds the same bytes
        for folder in folders:
            _fsync_dir(folder)


class _StagedFile:
    def __init__(self, store: FolderBlobStore, path: Path, digests: Digests) -> None:
        self._store = store
        self._path: Path | None = path
        self.digests = digests

    def open(self) -> BinaryIO:
        assert self._path is not None, "staged blob already committed or discarded"
        return self._path.open("rb")

    def commit(self, *extras: bytes) -> list[str]:
        """Flush the bytes, and small extra blobs, to disk and rename them all into place.

        Staging does not flush, so an upload found to be a no-op, or refused, costs no fsync;
        the extras share the one pass of renames and folder flushes.
        """
        assert self._path is not None, "staged blob already committed or discarded"
        _fsync_file(self._path)
        moves = [(self._path, self.digests.sha256)]
        try:
            extra_sha256s = [self._add_extra(data, moves) for data in extras]
            self._store._move_into_place(moves)
        except BaseException:
            for temp, _sha256 in moves[1:]:
                _unlink_quietly(temp)
            raise
        self._path = None
        return extra_sha256s

    def _add_extra(self, data: bytes, moves: list[tuple[Path, str]]) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if all(sha256 != known for _temp, known in moves) and not self._store.exists(sha256):
            moves.append((self._store._write_temporary(data), sha256))
        return sha256

    def discard(self) -> None:
        if self._path is not None:
            _unlink_quietly(self._path)
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


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    _fsync_file(directory)
