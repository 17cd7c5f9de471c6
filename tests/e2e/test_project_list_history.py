"""The root page at every version of an index's history: uploads, removals and rollbacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from packhouse.config import normalize_database_url
from packhouse.db import make_engine
from tests.builders import Dist
from tests.driver import Packhouse
from tests.project_lists import (
    assert_maximal,
    index_id,
    project_rows,
    projects_from_files,
)
from tests.simple_pages import index_version, json_page, simple_path

ALPHA = Dist("alpha", "1.0")
BETA = Dist("beta", "1.0")
GAMMA = Dist("gamma", "1.0")


@contextmanager
def _database(ph: Packhouse) -> Iterator[Connection]:
    """A connection to the server's own database (SQLite file or PostgreSQL)."""
    server = ph.server
    url = server.env.get("PACKHOUSE_DATABASE_URL")
    engine = make_engine(
        normalize_database_url(url) if url else f"sqlite:///{server.data_dir}/packhouse.sqlite3"
    )
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _root_projects(ph: Packhouse, index: str, version: int | None = None) -> list[str]:
    return [p["name"] for p in json_page(ph.http, simple_path(index, version=version))["projects"]]


def test_every_version_lists_the_projects_that_have_a_live_file(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    alpha_wheel, beta_wheel = ph.publish(index, user, ALPHA, BETA)  # 1, 2
    (alpha_sdist,) = ph.publish(index, user, ALPHA, sdist=True)  # 3
    ph.cli("remove", "--index", index, alpha_sdist.name)  # 4: one of alpha's two files
    ph.cli("remove", "--index", index, beta_wheel.name)  # 5: beta's last file
    ph.publish(index, user, GAMMA)  # 6
    ph.cli("index", "rollback", index, "2")  # 7: gamma goes, beta is back
    ph.cli("index", "rollback", index, "0")  # 8: an empty index
    ph.cli("index", "rollback", index, "6")  # 9: alpha and gamma are back, not beta
    ph.twine_upload(index, [beta_wheel], username=user.name, password=user.password)  # 10
    ph.cli("remove", "--index", index, alpha_wheel.name)  # 11: alpha's last live file
    assert index_version(ph.http, index) == 11

    with _database(ph) as connection:
        number = index_id(connection, index)
        rows = project_rows(connection, number)
        assert rows == {
            "alpha": [(1, 8), (9, 11)],
            "beta": [(2, 5), (7, 8), (10, None)],
            "gamma": [(6, 7), (9, None)],
        }
        assert_maximal(rows)
        for version in range(12):
            served = _root_projects(ph, index, version)
            assert served == projects_from_files(connection, number, version), version
    assert _root_projects(ph, index, 8) == []
    assert _root_projects(ph, index) == ["beta", "gamma"]
