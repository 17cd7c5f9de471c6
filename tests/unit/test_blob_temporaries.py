"""Temporary blobs: a dead process's leftovers are reclaimed at once, a live upload's never.

Each temporary file is locked by the process writing it; the sweep deletes only the files whose
lock it can take. The "processes" here are real ones, killed with SIGKILL as a crash would.
"""

from __future__ import annotations

import errno
import fcntl
import io
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from packhouse.blobs import fs
from packhouse.blobs.fs import FolderBlobStore
from tests.builders import Dist
from tests.driver import Packhouse, ServerProcess

#: A process that stages a blob (as an upload does) and waits with it, never committing.
STAGER = textwrap.dedent(
    """
    import io, sys, time
    from packhouse.blobs.fs import FolderBlobStore

    staged = FolderBlobStore(__import__("pathlib").Path(sys.argv[1])).stage(
        io.BytesIO(b"half an upload" * 1000), max_size=1 << 20
    )
    print("staged", flush=True)
    time.sleep(600)
    """
)


#: ``flock`` as NFS emulates it: a POSIX lock on the whole file, held per process, dropped when
#: the process closes any descriptor of the file, exclusive only on a descriptor open for writing.
POSIX_FLOCK = textwrap.dedent(
    """
    import errno, fcntl
    from packhouse.blobs import fs

    def posix_lock(fd):
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        return True

    fs._lock = posix_lock
    """
)

#: A stager on such a filesystem, which also reads its staged file back (as an upload's
#: archive check does) before it waits.
POSIX_STAGER = POSIX_FLOCK + STAGER.replace(
    'print("staged"', 'staged.open().read(); staged.open().close(); print("staged"'
)


def posix_lock(fd: int) -> bool:
    """:data:`POSIX_FLOCK`'s lock, for this process."""
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise
    return True


@contextmanager
def stager(root: Path, script: str = STAGER) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "staged\n"
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def temporaries(root: Path) -> list[Path]:
    return sorted((root / "tmp").iterdir())


def test_a_live_uploads_temporary_is_never_swept(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    with stager(root):
        assert len(temporaries(root)) == 1
        store = FolderBlobStore(root)  # a new worker's start-up sweep
        assert store.sweep() == 0
        assert len(temporaries(root)) == 1


def test_a_killed_uploads_temporary_is_reclaimed_at_once(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    with stager(root) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(temporaries(root)) == 1  # seconds old: the 24-hour rule kept it a day
    FolderBlobStore(root)
    assert temporaries(root) == []


def test_staging_in_this_process_sweeps_and_cleans_up(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    store = FolderBlobStore(root)
    with stager(root) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store._next_sweep = 0.0  # the minute has passed
    staged = store.stage(io.BytesIO(b"whole"), max_size=100)
    assert len(temporaries(root)) == 1  # the dead one is gone; this one is held
    assert store.sweep() == 0
    staged.commit()
    assert temporaries(root) == []
    staged = store.stage(io.BytesIO(b"refused"), max_size=100)
    staged.discard()
    assert temporaries(root) == []


def test_with_posix_locks_a_sweep_in_this_process_never_removes_a_live_staged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 14: with emulated ``flock`` this process always gets the lock of its own live
    upload's file; the sweep skips the files this process holds instead."""
    monkeypatch.setattr(fs, "_lock", posix_lock)
    root = tmp_path / "blobs"
    store = FolderBlobStore(root)
    staged = store.stage(io.BytesIO(b"live upload"), max_size=100)
    with staged.open() as archive:
        assert archive.read() == b"live upload"
    assert store.sweep() == 0
    assert FolderBlobStore(root).sweep() == 0  # another store of this process, too
    assert len(temporaries(root)) == 1
    staged.commit()
    assert temporaries(root) == []
    assert store.path_for(staged.digests.sha256).read_bytes() == b"live upload"


def test_with_posix_locks_a_live_upload_keeps_its_lock_and_a_dead_ones_file_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 14: writing through a duplicated descriptor, or reading through a second one,
    and closing it dropped the live upload's (emulated) lock; the sweep opened files read-only,
    on which such a lock cannot be exclusive, so it reclaimed nothing."""
    monkeypatch.setattr(fs, "_lock", posix_lock)
    root = tmp_path / "blobs"
    with stager(root, POSIX_STAGER) as proc:
        assert FolderBlobStore(root).sweep() == 0
        assert len(temporaries(root)) == 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert FolderBlobStore(root).sweep() == 0  # the start-up sweep reclaimed it
    assert temporaries(root) == []


def test_a_server_started_after_a_crash_reclaims_the_temporaries(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with ServerProcess.start(data_dir) as server:
        Packhouse(server, tmp_path).http.close()
    root = data_dir / "blobs"
    with stager(root) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(temporaries(root)) == 1
    with ServerProcess.start(data_dir):
        assert temporaries(root) == []


def test_data_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    old_umask = os.umask(0o002)  # a permissive umask: the modes must not depend on it
    try:
        with ServerProcess.start(data_dir) as server:
            ph = Packhouse(server, tmp_path)
            index = ph.create_index()
            ph.publish(index, ph.uploader(index), Dist("Private.Modes", "1.0"))
            ph.http.close()
            database = data_dir / "packhouse.sqlite3"
            for path in (data_dir, database, *data_dir.glob("packhouse.sqlite3-*")):
                assert mode(path) & 0o077 == 0, (path, oct(mode(path)))
            blobs = [p for p in (data_dir / "blobs").rglob("*") if p.parent.name != "tmp"]
            assert any(p.is_file() for p in blobs)
            for path in [data_dir / "blobs", *blobs]:
                # group read for a web server in front (docs/nginx.md); others nothing
                assert mode(path) & 0o027 == 0, (path, oct(mode(path)))
            assert mode(data_dir / "blobs" / "tmp") & 0o077 == 0
    finally:
        os.umask(old_umask)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
