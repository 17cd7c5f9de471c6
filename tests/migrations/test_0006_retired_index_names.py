"""Migration 0006 keeps the names of deleted indexes from reuse, including those deleted before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, inspect, select

from packhouse.config import normalize_database_url
from packhouse.db import MIGRATIONS, make_engine
from packhouse.db.tables import AuditRow, IndexRow, RetiredIndexNameRow
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own on each backend."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'packhouse.sqlite3'}")
        yield made
        made.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("PACKHOUSE_TEST_POSTGRES_URL is not set")
    name = f"packhouse_migration_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    made = make_engine(normalize_database_url(POSTGRES_URL.rpartition("/")[0] + f"/{name}"))
    yield made
    made.dispose()
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(engine: Engine, step: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)


def _history(engine: Engine) -> None:
    """At 0005: ``gone`` deleted twice, ``back`` deleted and made again, ``kept`` never deleted."""
    with engine.begin() as connection:
        for name in ("back", "kept"):
            row = {"name": name, "kind": "hosted", "private": False, "version": 0}
            connection.execute(insert(IndexRow), row)
        for name in ("gone", "gone", "back"):
            entry = {"actor": "alice", "action": "index.delete", "index_name": name, "target": name}
            connection.execute(insert(AuditRow), entry)
        upload = {"actor": "bob", "action": "upload", "index_name": "kept", "target": "x.whl"}
        connection.execute(insert(AuditRow), upload)


def test_upgrade_retires_the_names_of_indexes_deleted_before(engine: Engine) -> None:
    _migrate(engine, "upgrade", "0005")
    _history(engine)
    _migrate(engine, "upgrade", "0006")
    with engine.connect() as connection:
        names = connection.scalars(select(RetiredIndexNameRow.name)).all()
        at = connection.scalar(select(RetiredIndexNameRow.retired_at))
    assert names == ["gone"]
    assert at is not None


def test_downgrade_drops_the_table(engine: Engine) -> None:
    _migrate(engine, "upgrade", "0006")
    _migrate(engine, "downgrade", "0005")
    assert "retired_index_names" not in inspect(engine).get_table_names()
    _migrate(engine, "upgrade", "0006")
    assert "retired_index_names" in inspect(engine).get_table_names()
