"""Fixtures: a real Packhouse server per database backend, and the story driver around it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.driver import Packhouse, ServerProcess

POSTGRES_URL = os.environ.get("PACKHOUSE_TEST_POSTGRES_URL", "")


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("PACKHOUSE_TEST_POSTGRES_URL is not set")
    name = f"packhouse_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """One server per backend for the session, with two worker processes; tests use own indexes."""
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    # Every test connects from 127.0.0.1: the login throttle gets its own test and server.
    env = {"PACKHOUSE_LOGIN_FAILURE_LIMIT": "100000"}
    if backend == "postgres":
        env["PACKHOUSE_DATABASE_URL"] = request.getfixturevalue("postgres_database")
    with ServerProcess.start(data_dir, env=env, workers=2) as proc:
        yield proc


@pytest.fixture
def ph(server: ServerProcess, tmp_path: Path) -> Iterator[Packhouse]:
    """The story driver: create indexes, users, tokens; upload; install."""
    driver = Packhouse(server, tmp_path)
    yield driver
    driver.http.close()
