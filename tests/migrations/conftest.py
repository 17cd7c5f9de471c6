"""The database every migration test starts from: an empty one of its own, on each backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from packhouse.config import normalize_database_url
from packhouse.db import make_engine
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
