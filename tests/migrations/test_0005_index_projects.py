"""Migration 0005 fills ``index_projects`` from the file history of every index."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, func, insert, inspect, select

from packhouse.config import normalize_database_url
from packhouse.db import MIGRATIONS, make_engine
from packhouse.db.files import FileRepo
from packhouse.db.tables import DistributionRow, IndexFileRow, IndexRow
from tests.conftest import POSTGRES_URL
from tests.project_lists import Intervals, assert_maximal, project_rows, projects_from_files

#: File intervals ``(added_in, removed_in)`` per project, and the rows they must merge into.
STORIES: dict[str, tuple[list[tuple[int, int | None]], list[tuple[int, int | None]]]] = {
    "touching": ([(1, 3), (3, 5)], [(1, 5)]),
    "overlapping": ([(1, 4), (2, 6), (8, None)], [(1, 6), (8, None)]),
    "nested": ([(2, None), (3, 4)], [(2, None)]),
    "apart": ([(1, 2), (4, 5)], [(1, 2), (4, 5)]),
    "rolled-back": ([(5, 7), (1, 3), (3, 4)], [(1, 4), (5, 7)]),  # row ids out of version order
    "open-twice": ([(6, None), (6, None), (7, 9)], [(6, None)]),
    "never-live": ([(3, 3)], []),
}

Migrate = Callable[[Config, str], None]


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


def _migrate(engine: Engine, step: Migrate, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def _add_index(connection: Connection, name: str, version: int) -> int:
    row = {"name": name, "kind": "hosted", "private": False, "version": version}
    made: int = connection.execute(insert(IndexRow).returning(IndexRow.id), row).scalar_one()
    return made


def _add_files(
    connection: Connection, index_id: int, files: list[tuple[str, int, int | None]]
) -> None:
    """File rows ``(project, added_in, removed_in)``, in this order (so in this id order)."""
    distribution = connection.scalar(select(func.min(DistributionRow.id)))
    rows = [
        {
            "index_id": index_id,
            "distribution_id": distribution,
            "filename": f"{project}-{n}.tar.gz",
            "project": project,
            "version": str(n),
            "added_in": added_in,
            "removed_in": removed_in,
        }
        for n, (project, added_in, removed_in) in enumerate(files)
    ]
    connection.execute(insert(IndexFileRow), rows)


def _random_history(rng: random.Random) -> list[tuple[str, int, int | None]]:
    """Files of a dozen projects coming and going over 60 versions."""
    files: list[tuple[str, int, int | None]] = []
    for _ in range(300):
        added_in = rng.randint(1, 60)
        removed_in = rng.choice([None, added_in + rng.randint(1, 8)])
        files.append((f"p{rng.randint(0, 11)}", added_in, removed_in))
    return files


def _history(connection: Connection) -> dict[int, int]:
    """Three indexes at revision 0004; ``{index id: its newest version}``."""
    connection.execute(
        insert(DistributionRow),
        {
            "sha256": "0" * 64,
            "filename": "shared-1.0.tar.gz",
            "project": "shared",
            "display_name": "shared",
            "version": "1.0",
            "kind": "sdist",
            "size": 1,
            "md5": "0" * 32,
            "blake2_256": "0" * 64,
        },
    )
    stories = _add_index(connection, "stories", 10)
    _add_files(
        connection, stories, [(p, a, r) for p, (spans, _) in STORIES.items() for a, r in spans]
    )
    randomized = _add_index(connection, "randomized", 70)
    _add_files(connection, randomized, _random_history(random.Random(20261126)))  # noqa: S311 - reproducible
    empty = _add_index(connection, "empty", 0)
    return {stories: 10, randomized: 70, empty: 0}


def _expected_stories() -> Intervals:
    return {project: rows for project, (_, rows) in STORIES.items() if rows}


def test_upgrade_merges_each_projects_file_intervals(engine: Engine) -> None:
    _migrate(engine, command.upgrade, "0004")
    with engine.begin() as connection:
        newest = _history(connection)
    _migrate(engine, command.upgrade, "head")

    stories, randomized, empty = newest
    with engine.connect() as connection:
        assert project_rows(connection, stories) == _expected_stories()
        assert project_rows(connection, empty) == {}
        assert_maximal(project_rows(connection, randomized))
        files = FileRepo(connection)
        for index_id, last in newest.items():
            for version in range(last + 2):
                expected = projects_from_files(connection, index_id, version)
                assert files.live_projects(index_id, version) == expected, (index_id, version)


def test_downgrade_drops_the_table_and_upgrade_fills_it_again(engine: Engine) -> None:
    _migrate(engine, command.upgrade, "0004")
    with engine.begin() as connection:
        stories, *_ = _history(connection)
    _migrate(engine, command.upgrade, "head")
    _migrate(engine, command.downgrade, "0004")
    assert "index_projects" not in inspect(engine).get_table_names()

    _migrate(engine, command.upgrade, "head")
    with engine.connect() as connection:
        assert project_rows(connection, stories) == _expected_stories()
