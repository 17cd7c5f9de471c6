"""``packhouse init``, and the check that keeps admin commands off data that is not there.

Without the check, an admin command run from another folder would make a new, empty
``./packhouse-data`` there and report on it (an empty list, exit 0) as if it were the server's.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from packhouse.config import Settings
from packhouse.db import make_engine
from packhouse.errors import NotFound
from packhouse.wiring import build

#: How to point a command at the right data, for the messages below.
_HINT = (
    "run the command where `packhouse serve` runs, or point at the server's data with "
    "`packhouse --data-dir PATH …` or PACKHOUSE_DATA_DIR=PATH "
    "(`packhouse init` creates a new, empty one)"
)


def init() -> None:
    """Create the data dir and the database, or bring an existing one's schema up to date."""
    settings = Settings()
    new = missing_data(settings) is not None
    build(settings).close()
    state = "created" if new else "already set up (schema up to date)"
    database = _shown(settings.resolved_database_url)
    typer.echo(
        f"Packhouse data {state}: database {database}, files {settings.resolved_storage_url}"
    )


def require_existing(settings: Settings) -> None:
    """Refuse to act on a data dir or database that does not exist (or was never set up)."""
    problem = missing_data(settings)
    if problem is not None:
        raise NotFound(f"{problem}; {_HINT}")


def missing_data(settings: Settings) -> str | None:
    """What is missing for a command to act on existing data, or None when all is there.

    The data dir matters when it holds something: the default SQLite database or the default
    file store. A PostgreSQL database (with S3 storage) needs no data dir, only tables.
    """
    if settings.uses_data_dir and not settings.data_dir.is_dir():
        return f"no Packhouse data dir at {str(settings.data_dir.resolve())!r}"
    path = _database_path(settings)
    if path is not None:
        if not path.is_file():
            return f"no Packhouse database at {str(path)!r}"
        return None
    if not _has_schema(settings.resolved_database_url):
        url = _shown(settings.resolved_database_url)
        return f"the database {url!r} has no Packhouse tables"
    return None


def _database_path(settings: Settings) -> Path | None:
    """The SQLite database file, or None for a server database (or SQLite in memory)."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _has_schema(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()
