"""Folder blob store: temporary file, fsync, atomic rename into sha256-sharded paths.

A temporary file is locked (``flock``) by the process writing it from its creation until it is
renamed into place or removed. A temporary file nobody holds belongs to a process that died
(``kill -9`` in the middle of an upload): the sweep, at start-up and every minute at most
when a file is staged, takes its lock and deletes it at once.

The lock lives on the one descriptor opened with the file, until it is renamed into place or
removed: writing and reading go through that descriptor, never a second one, because where
``flock`` is emulated with POSIX locks (NFS) closing any descriptor of a file drops the
process's lock on it, and the process itself always gets a lock it holds. So the sweep also
skips the temporary files this process holds (:data:`_LIVE`), without opening them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import threading
import time
from pathlib import Path
from typing import BinaryIO

from packhouse.domain.digests import DigestHasher, Digests
from packhouse.errors import NotFound, TooLarge

_CHUNK = 1024 * 1024
#: Sweep leftover temporary files at most this often (seconds), on the way to staging one.
SWEEP_INTERVAL = 60.0


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


#: Blobs and their folders: the owner writes, the folder's group may read (nginx, see
#: docs/nginx.md), others nothing. The umask can only take more away.
FILE_MODE = 0o640
FOLDER_MODE = 0o750

#: The temporary files this process holds (from before they exist until they are renamed or
#: removed), by absolute path, which a sweep in this process leaves alone whatever the locks
#: say.
_LIVE: set[Path] = set()
_LIVE_LOCK = threading.Lock()


class FolderBlobStore:
    """Blobs at ``root/ab/cd/<sha256>``; temporary files in ``root/tmp`` on the same filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        self._tmp.mkdir(mode=0o700, exist_ok=True)  # nobody else needs unfinished uploads
        self._next_sweep = 0.0
        self.sweep()

    def sweep(self) -> int:
        """Delete the temporary files no live process holds; return how many."""
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL
        removed = 0
        for leftover in self._tmp.iterdir():
            with _LIVE_LOCK:
                if leftover.absolute() in _LIVE:
                    continue
                with contextlib.suppress(OSError):
                    removed += _remove_unless_held(leftover)
        return removed

    def path_for(self, sha256: str) -> Path:
        return self.root / self.relative_path(sha256)

    def relative_path(self, sha256: str) -> str:
        """``ab/cd/<sha256>``, below ``root``; only ever built from a valid sha256."""
        if not _is_sha256(sha256):
            raise NotFound(f"no blob {sha256!r}")
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def stage(self, stream: BinaryIO, *, max_size: int) -> _StagedFile:
        if time.monotonic() >= self._next_sweep:
            self.sweep()
        hasher = DigestHasher()
        temp = _Temporary.create(self._tmp, "upload-")
        try:
            with temp.writer() as out:
                while chunk := stream.read(_CHUNK):
                    hasher.update(chunk)
                    if hasher.size > max_size:
                        raise TooLarge(
                            f"the file is larger than the limit of {max_size} bytes; "
                            "ask an admin to raise PACKHOUSE_MAX_UPLOAD_SIZE"
                        )
                    out.write(chunk)
        except BaseException:
            temp.remove()
            raise
        return _StagedFile(self, temp, hasher.digests())

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.exists(sha256):
            temp = self._write_temporary(data)
            try:
                self._move_into_place([(temp.path, sha256)])
            except BaseException:
                temp.remove()
                raise
            temp.release()
        return sha256

    def _write_temporary(self, data: bytes) -> _Temporary:
        """A flushed, locked temporary file holding ``data``, not yet in place."""
        temp = _Temporary.create(self._tmp, "put-")
        try:
            with temp.writer() as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            temp.remove()
            raise
        return temp

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
                final.parent.parent.mkdir(mode=FOLDER_MODE, exist_ok=True)
                final.parent.mkdir(mode=FOLDER_MODE, exist_ok=True)
                folders[final.parent] = None
            os.replace(temp, final)  # atomic; the same name always holds the same bytes
        for folder in folders:
            _fsync_dir(folder)


class _Temporary:
    """A temporary file and the descriptor that holds its lock while this process needs it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def create(cls, directory: Path, prefix: str) -> _Temporary:
        """A new file with :data:`FILE_MODE` (less the umask), which the blob keeps, locked.

        Group read lets a web server in front (nginx with ``X-Accel-Redirect``) read blobs when
        it runs as another user in the blob folder's group; others never can. A sweep may take
        a file in the instant between its creation and its lock: then it is made again.
        """
        while True:
            path = directory / f"{prefix}{secrets.token_hex(8)}"
            with _LIVE_LOCK:
                _LIVE.add(path.absolute())
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
            except BaseException:
                _forget(path)
                raise
            if _lock(fd) and _same_file(fd, path):
                return cls(path, fd)
            os.close(fd)  # pragma: no cover - another process's sweep won the race
            _forget(path)

    def writer(self) -> BinaryIO:
        """A buffered writer on the locked descriptor; closing it leaves the descriptor open."""
        return os.fdopen(self.fd, "wb", closefd=False)

    def reader(self) -> BinaryIO:
        """A buffered reader from the start, on the locked descriptor (one reader at a time)."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        return os.fdopen(self.fd, "rb", closefd=False)

    def release(self) -> None:
        """Let go of the lock (the file was renamed into place)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            _forget(self.path)

    def remove(self) -> None:
        """Delete the file, then let go of its lock."""
        _unlink_quietly(self.path)
        self.release()


class _StagedFile:
    def __init__(self, store: FolderBlobStore, temp: _Temporary, digests: Digests) -> None:
        self._store = store
        self._temp: _Temporary | None = temp
        self.digests = digests

    def open(self) -> BinaryIO:
        assert self._temp is not None, "staged blob already committed or discarded"
        return self._temp.reader()

    def commit(self, *extras: bytes) -> list[str]:
        """Flush the bytes, and small extra blobs, to disk and rename them all into place.

        Staging does not flush, so an upload found to be a no-op, or refused, costs no fsync;
        the extras share the one pass of renames and folder flushes.
        """
        assert self._temp is not None, "staged blob already committed or discarded"
        os.fsync(self._temp.fd)
        moves = [(self._temp.path, self.digests.sha256)]
        temps: list[_Temporary] = []
        try:
            extra_sha256s = [self._add_extra(data, moves, temps) for data in extras]
            self._store._move_into_place(moves)
        except BaseException:
            for temp in temps:
                temp.remove()
            raise
        for temp in [self._temp, *temps]:
            temp.release()
        self._temp = None
        return extra_sha256s

    def _add_extra(
        self, data: bytes, moves: list[tuple[Path, str]], temps: list[_Temporary]
    ) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if all(sha256 != known for _temp, known in moves) and not self._store.exists(sha256):
            temps.append(self._store._write_temporary(data))
            moves.append((temps[-1].path, sha256))
        return sha256

    def discard(self) -> None:
        if self._temp is not None:
            self._temp.remove()
            self._temp = None


def _forget(path: Path) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(path.absolute())


def _lock(fd: int) -> bool:
    """Take the file's exclusive lock without waiting; False if another holder has it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the open file (a sweep did not delete it)."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _remove_unless_held(path: Path) -> int:
    """Delete a temporary file if no process holds its lock; 1 if it was deleted.

    Opened for writing: an emulated ``flock`` (NFS) takes an exclusive lock only on such a
    descriptor.
    """
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        if not _lock(fd) or not _same_file(fd, path):
            return 0
        path.unlink()
        return 1
    finally:
        os.close(fd)


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
