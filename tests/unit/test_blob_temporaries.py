"""Temporary blobs: a dead process's leftovers are reclaimed at once, a live upload's never.

Each temporary file is locked by the process writing it; the sweep deletes only the files whose
lock it can take. The "processes" here are real ones, killed with SIGKILL as a crash would.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def stager(root: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", STAGER, str(root)], stdout=subprocess.PIPE, text=True
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
