"""The hot path's index-state reader: cached under the wal-index header, never stale."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from packhouse.db.state import IndexState, SqliteStateReader, WalWatch

SCHEMA = """
CREATE TABLE indexes (id INTEGER PRIMARY KEY, name TEXT UNIQUE, version INTEGER, private INTEGER);
CREATE TABLE auth_generation (id INTEGER PRIMARY KEY, value INTEGER);
INSERT INTO auth_generation VALUES (1, 1);
INSERT INTO indexes VALUES (1, 'team', 1, 0);
"""


class CountingReader(SqliteStateReader):
    """Counts the queries that reach SQLite (the reader's own method, not a stand-in)."""

    queries = 0

    def _query(self, name: str) -> IndexState | None:
        self.queries += 1
        return super()._query(name)


def database(tmp_path: Path, *, journal: str = "WAL") -> tuple[str, sqlite3.Connection]:
    path = str(tmp_path / "packhouse.sqlite3")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute(f"PRAGMA journal_mode={journal}")
    writer.executescript(SCHEMA)
    return path, writer


def lookup(reader: SqliteStateReader, name: str = "team") -> IndexState | None:
    return asyncio.run(reader.lookup(name))


def write_in_another_process(path: str, statement: str, *params: object) -> None:
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " c.execute(sys.argv[2], sys.argv[3:]); c.commit()"
    )
    command = [sys.executable, "-c", code, path, statement, *map(str, params)]
    subprocess.run(command, check=True, timeout=30)


def test_answers_are_reused_until_anything_is_committed(tmp_path: Path) -> None:
    path, writer = database(tmp_path)
    reader = CountingReader(path, max_age=60)
    first = lookup(reader)
    assert first == IndexState(1, 1, False, 1)
    for _ in range(5):
        assert lookup(reader) == first
    # the first lookup opens the watch, the second caches: nothing else reaches SQLite
    assert reader.queries == 2
    writer.execute("UPDATE indexes SET version = 2 WHERE name = 'team'")
    assert lookup(reader) == IndexState(1, 2, False, 1)
    assert reader.queries == 3
    # a commit that touches other rows also invalidates: the mark is the whole database's
    writer.execute("CREATE TABLE unrelated (x)")
    assert lookup(reader) == IndexState(1, 2, False, 1)
    assert reader.queries == 4
    reader.close()


def test_a_commit_from_another_process_is_seen_by_the_next_lookup(tmp_path: Path) -> None:
    path, _writer = database(tmp_path)
    reader = SqliteStateReader(path, max_age=60)
    assert lookup(reader) is not None
    assert lookup(reader) is not None  # cached now
    for version in range(2, 6):
        write_in_another_process(path, "UPDATE indexes SET version = ?", version)
        assert lookup(reader) == IndexState(1, version, False, 1)
    write_in_another_process(path, "UPDATE auth_generation SET value = 9")
    assert lookup(reader) == IndexState(1, 5, False, 9)
    write_in_another_process(path, "UPDATE indexes SET private = 1")
    assert lookup(reader) == IndexState(1, 5, True, 9)
    write_in_another_process(path, "DELETE FROM indexes")
    assert lookup(reader) is None
    reader.close()


def test_unknown_names_are_cached_too_and_appear_when_created(tmp_path: Path) -> None:
    path, writer = database(tmp_path)
    reader = CountingReader(path, max_age=60, max_names=3)
    lookup(reader)
    for name in ("a", "b", "a", "b"):
        assert lookup(reader, name) is None
    assert reader.queries == 3
    writer.execute("INSERT INTO indexes VALUES (2, 'a', 1, 1)")
    assert lookup(reader, "a") == IndexState(2, 1, True, 1)
    for name in ("c", "d", "e"):  # beyond max_names the memory is cleared, never grown
        lookup(reader, name)
    assert len(reader._known) <= 3
    reader.close()


def test_answers_are_never_older_than_max_age(tmp_path: Path) -> None:
    path, _writer = database(tmp_path)
    reader = CountingReader(path, max_age=0.05)
    lookup(reader)
    lookup(reader)
    lookup(reader)
    assert reader.queries == 2
    time.sleep(0.06)
    lookup(reader)
    assert reader.queries == 3
    reader.close()


def test_without_wal_every_lookup_queries(tmp_path: Path) -> None:
    path, writer = database(tmp_path, journal="DELETE")
    reader = CountingReader(path, max_age=60)
    for version in range(2, 5):
        writer.execute("UPDATE indexes SET version = ?", (version,))
        assert lookup(reader) == IndexState(1, version, False, 1)
    assert reader.queries == 3
    reader.close()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"A" * 48 + b"A" * 48, b"A" * 48),
        # a writer is between its two copies: no mark, so nothing is cached under it
        (b"A" * 48 + b"B" * 48, None),
        (b"B" * 47 + b"A" + b"B" * 48, None),
    ],
    ids=["copies-agree", "torn", "torn-last-byte"],
)
def test_the_mark_is_the_header_only_when_both_copies_agree(
    tmp_path: Path, header: bytes, expected: bytes | None
) -> None:
    shm = tmp_path / "db-shm"
    shm.write_bytes(header + b"\0" * 1000)
    watch = WalWatch(str(tmp_path / "db"))
    assert watch.open()
    assert watch.mark() == expected
    watch.close()


def test_a_replaced_shm_file_is_noticed(tmp_path: Path) -> None:
    shm = tmp_path / "db-shm"
    shm.write_bytes(b"\0" * 200)
    watch = WalWatch(str(tmp_path / "db"))
    assert watch.open()
    assert not watch.stale()
    replacement = tmp_path / "new-shm"
    replacement.write_bytes(b"\1" * 200)
    replacement.replace(shm)
    assert watch.stale()
    shm.unlink()
    assert watch.stale()
    assert not watch.open()  # gone: no mark, every lookup queries
    assert watch.mark() is None
