"""The one cheap lookup the hot path makes per request: an index's state and the auth generation."""

from __future__ import annotations

import sqlite3
import threading
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


class SqliteStateReader:
    """Reads SQLite directly on the event loop: a primary-key lookup takes microseconds."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            uri = f"file:{self._path}?mode=ro"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=5000")
            self._local.connection = connection
        return connection

    async def lookup(self, name: str) -> IndexState | None:
        row = self._connection().execute(_QUERY.format(param="?"), (name,)).fetchone()
        return IndexState(row[0], row[1], bool(row[2]), row[3]) if row else None

    def close(self) -> None:
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
