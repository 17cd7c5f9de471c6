"""The one cheap lookup the hot path makes per request: an index's state and the auth generation."""

from __future__ import annotations

import mmap
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import anyio.to_thread
from sqlalchemy import Engine, text

_QUERY = (
    "SELECT i.id, i.version, i.private, g.value FROM indexes i"
    " JOIN auth_generation g ON g.id = 1 WHERE i.name = {param}"
)


@dataclass(frozen=True, slots=True)
class IndexState:
    """What the hot path needs to know about an index, read fresh on every request."""

    id: int
    version: int
    private: bool
    #: The accounts' generation: cached credentials verified under another one are void.
    auth_generation: int


class IndexStateReader(Protocol):
    async def lookup(self, name: str) -> IndexState | None: ...

    def close(self) -> None: ...


class WalWatch:
    """Tells, without a system call, whether anything was committed to a WAL database.

    Every connection in WAL mode shares the wal-index (the ``-shm`` file, which SQLite maps
    into memory), whose 48-byte header changes with every commit by any process: its change
    counter, last frame and salts (https://sqlite.org/walformat.html, section 2.3). SQLite
    writes the header's second copy, then the first; readers trust it only when both agree.
    A header read *before* a query is therefore a mark at least as old as what the query
    sees: an answer cached under it is reused only while the header still reads the same.
    """

    _HEADER = 48

    def __init__(self, database: str) -> None:
        self._path = database + "-shm"
        self._map: mmap.mmap | None = None
        self._inode: int | None = None

    def open(self) -> bool:
        """Map the header; call while a connection to the database is open (so it exists)."""
        self.close()
        try:
            fd = os.open(self._path, os.O_RDONLY)
        except OSError:
            return False  # not in WAL mode: no header to watch, every lookup queries
        try:
            stat = os.fstat(fd)
            if stat.st_size < 2 * self._HEADER:
                return False
            self._map = mmap.mmap(fd, 2 * self._HEADER, access=mmap.ACCESS_READ)
            self._inode = stat.st_ino
        except (OSError, ValueError):
            return False
        finally:
            os.close(fd)
        return True

    def stale(self) -> bool:
        """Whether the mapped file is no longer the database's ``-shm`` (it was recreated)."""
        try:
            return os.stat(self._path).st_ino != self._inode
        except OSError:
            return True

    def mark(self) -> bytes | None:
        """The header now, or None while a writer is half-way through updating it."""
        if self._map is None:
            return None
        both = self._map[: 2 * self._HEADER]
        first = both[: self._HEADER]
        return first if first == both[self._HEADER :] else None

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


class SqliteStateReader:
    """Reads SQLite directly on the event loop, and only when something was committed.

    Answers are remembered per index name under the wal-index header (:class:`WalWatch`) read
    before the query, so a page request costs a 96-byte compare while nothing changes, in
    every worker process at once. As a second line of defence an answer is also never older
    than ``max_age`` seconds, and the ``-shm`` file is checked for replacement that often.
    """

    def __init__(self, path: str, *, max_age: float = 1.0, max_names: int = 10_000) -> None:
        self._path = path
        self._local = threading.local()
        self._watch = WalWatch(path)
        self._watching = False
        self._max_age = max_age
        self._max_names = max_names
        self._next_check = 0.0
        self._known: dict[str, tuple[bytes, float, IndexState | None]] = {}

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            uri = f"file:{self._path}?mode=ro"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=5000")
            self._local.connection = connection
        return connection

    def _query(self, name: str) -> IndexState | None:
        row = self._connection().execute(_QUERY.format(param="?"), (name,)).fetchone()
        return IndexState(row[0], row[1], bool(row[2]), row[3]) if row else None

    async def lookup(self, name: str) -> IndexState | None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self._max_age
            if self._watching and self._watch.stale():
                self._watching = False
                self._known.clear()
        mark = self._watch.mark() if self._watching else None
        if mark is not None:
            known = self._known.get(name)
            if known is not None and known[0] == mark and known[1] > now:
                return known[2]
        state = self._query(name)
        if not self._watching:
            # Our connection is open now, so the -shm file exists (in WAL mode) and stays.
            self._watching = self._watch.open()
        elif mark is not None:
            if len(self._known) >= self._max_names:
                self._known.clear()
            self._known[name] = (mark, now + self._max_age, state)
        return state

    def close(self) -> None:
        self._watch.close()
        self._watching = False
        self._known.clear()
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()


class EngineStateReader:
    """Any other database: the same query through the engine's pool, in the thread pool."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._query = text(_QUERY.format(param=":name"))

    def _lookup(self, name: str) -> IndexState | None:
        with self._engine.connect() as connection:
            row = connection.execute(self._query, {"name": name}).first()
        return IndexState(row[0], row[1], bool(row[2]), row[3]) if row else None

    async def lookup(self, name: str) -> IndexState | None:
        return await anyio.to_thread.run_sync(self._lookup, name)

    def close(self) -> None:
        pass


def state_reader(engine: Engine) -> IndexStateReader:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteStateReader(url.database)
    return EngineStateReader(engine)
