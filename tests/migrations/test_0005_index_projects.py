"""Migration 0005 fills ``index_projects`` from the file history of every index."""

from __future__ import annotations

import random

from sqlalchemy import Connection, Engine, func, insert, inspect, select

from packhouse.db.files import FileRepo
from packhouse.db.tables import DistributionRow, IndexFileRow, IndexRow
from tests.migrations.steps import downgrade, upgrade
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
    upgrade(engine, "0004")
    with engine.begin() as connection:
        newest = _history(connection)
    upgrade(engine, "head")

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
    upgrade(engine, "0004")
    with engine.begin() as connection:
        stories, *_ = _history(connection)
    upgrade(engine, "head")
    downgrade(engine, "0004")
    assert "index_projects" not in inspect(engine).get_table_names()

    upgrade(engine, "head")
    with engine.connect() as connection:
        assert project_rows(connection, stories) == _expected_stories()
