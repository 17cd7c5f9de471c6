"""Migration 0007: normalized filenames, canonical release versions, project owners."""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from sqlalchemy import Connection, Engine, insert, inspect, text

from packhouse.db.files import FileRepo
from packhouse.db.projects import ProjectOwnerRepo
from packhouse.db.tables import DistributionRow, IndexRow, UserRow
from packhouse.domain.filenames import DistFilename
from tests.migrations.steps import downgrade, upgrade

#: ``(filename, version as stored before 0007, uploader)``, in id order, in index "mixed".
FILES = [
    ("Foo_Bar-1.0-py3-none-any.whl", "1.0", "alice"),
    ("foo_bar-1.0.0.tar.gz", "1.0.0", "bob"),
    ("foo_bar-2.0-1-py2.py3-none-any.whl", "2.0", "bob"),
    ("third-1.0.zip", "1.0", None),  # restored by a rollback: no uploader recorded
    ("third-1.1.tar.gz", "1.1", "bob"),
    ("ghosted-1.0.tar.gz", "1.0", "ghost"),  # a user deleted since
    # its normalized form has 20 tags and 652 characters: only its sha256 fits a column
    (
        "third-1.1-cp38.cp39.cp310.cp311.cp312-abi3.none-"
        "manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "1.1",
        "bob",
    ),
]


def _history(connection: Connection) -> int:
    """An index at revision 0006 with FILES and yanks of ``1.0`` and ``2.0``; its id."""
    for user in ("alice", "bob"):
        connection.execute(insert(UserRow), {"name": user, "is_admin": False})
    index: int = connection.execute(
        insert(IndexRow).returning(IndexRow.id),
        {"name": "mixed", "kind": "hosted", "private": False, "version": len(FILES) + 2},
    ).scalar_one()
    for n, (filename, version, uploader) in enumerate(FILES, start=1):
        dist = DistFilename.parse(filename)
        distribution = connection.execute(
            insert(DistributionRow).returning(DistributionRow.id),
            {
                "sha256": f"{n:064x}",
                "filename": filename,
                "project": dist.project,
                "display_name": dist.project,
                "version": version,
                "kind": dist.kind.value,
                "size": 1,
                "md5": "0" * 32,
                "blake2_256": "0" * 64,
            },
        ).scalar_one()
        row = (index, distribution, filename, dist.project, version, n, uploader)
        connection.execute(
            text(
                "INSERT INTO index_files (index_id, distribution_id, filename, project, version,"
                " added_in, uploaded_at, uploader) VALUES (:i, :d, :f, :p, :v, :n, :t, :u)"
            ),
            dict(zip("idfpvnu", row, strict=True)) | {"t": "2026-01-01 00:00:00"},
        )
    for version, added_in in (("1.0", len(FILES) + 1), ("2.0", len(FILES) + 2)):
        connection.execute(
            text(
                "INSERT INTO index_yanks (index_id, project, version, reason, added_in)"
                " VALUES (:i, 'foo-bar', :v, 'old', :n)"
            ),
            {"i": index, "v": version, "n": added_in},
        )
    return index


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def _rows(connection: Connection, query: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(text(query))]


def test_upgrade_normalizes_filenames_and_versions_and_records_first_uploaders(
    engine: Engine,
) -> None:
    upgrade(engine, "0006")
    with engine.begin() as connection:
        index = _history(connection)
    upgrade(engine, "head")

    with engine.connect() as connection:
        files = _rows(connection, "SELECT filename, version, file_key FROM index_files ORDER BY id")
        assert files == [
            (name, DistFilename.parse(name).release, DistFilename.parse(name).key)
            for name, _version, _uploader in FILES
        ]
        assert DistFilename.parse(files[0][0]).normalized == "foo-bar-1--py3-none-any.whl"
        assert files[0][1:] == ("1", sha256(b"foo-bar-1--py3-none-any.whl").hexdigest())
        assert files[1][1:] == ("1", sha256(b"foo-bar-1.sdist").hexdigest())
        assert _rows(connection, "SELECT project_ownership FROM indexes") == [("open",)]

        repo = FileRepo(connection)
        assert repo.live_yanks(index, len(FILES) + 2) == {
            ("foo-bar", "1"): "old",
            ("foo-bar", "2"): "old",
        }
        clash = DistFilename.parse("foo_bar-1.0.0-py3-none-any.whl").key
        assert [m.filename for m in repo.memberships_by_key(index, clash)] == [FILES[0][0]]

        owners = ProjectOwnerRepo(connection)
        assert [o.name for o in owners.owners(index, "foo-bar")] == ["alice"]
        assert [o.name for o in owners.owners(index, "third")] == ["bob"]
        assert owners.owners(index, "ghosted") == []


def test_downgrade_restores_the_versions_and_upgrade_runs_again(engine: Engine) -> None:
    upgrade(engine, "0006")
    with engine.begin() as connection:
        index = _history(connection)
    upgrade(engine, "head")
    downgrade(engine, "0006")

    assert "project_owners" not in inspect(engine).get_table_names()
    assert "file_key" not in _columns(engine, "index_files")
    assert "project_ownership" not in _columns(engine, "indexes")
    with engine.connect() as connection:
        versions = _rows(connection, "SELECT version FROM index_files ORDER BY id")
        assert versions == [(version,) for _name, version, _uploader in FILES]
        yanks = dict(_rows(connection, "SELECT version, reason FROM index_yanks"))
        assert set(yanks) in ({"1.0", "2.0"}, {"1.0.0", "2.0"})
        assert _rows(connection, "SELECT COUNT(*) FROM index_files") == [(len(FILES),)]

    upgrade(engine, "head")
    with engine.connect() as connection:
        assert len(ProjectOwnerRepo(connection).owners(index, "foo-bar")) == 1
