"""An index's project list per version, read from the database: from the files, as the root
page computed it before ``index_projects``, and the ``index_projects`` rows themselves."""

from __future__ import annotations

from itertools import pairwise

from sqlalchemy import Connection, select

from packhouse.db.files import live_at
from packhouse.db.tables import IndexFileRow, IndexProjectRow, IndexRow

#: ``{project: [(added_in, removed_in), ...]}`` in ``added_in`` order.
Intervals = dict[str, list[tuple[int, int | None]]]


def projects_from_files(connection: Connection, index_id: int, version: int) -> list[str]:
    """The projects with a live file in a version: a DISTINCT over every file row."""
    query = (
        select(IndexFileRow.project)
        .where(IndexFileRow.index_id == index_id, live_at(IndexFileRow, version))
        .distinct()
        .order_by(IndexFileRow.project)
    )
    return list(connection.scalars(query))


def project_rows(connection: Connection, index_id: int) -> Intervals:
    """The ``index_projects`` rows of an index."""
    query = (
        select(IndexProjectRow.project, IndexProjectRow.added_in, IndexProjectRow.removed_in)
        .where(IndexProjectRow.index_id == index_id)
        .order_by(IndexProjectRow.project, IndexProjectRow.added_in)
    )
    rows: Intervals = {}
    for project, added_in, removed_in in connection.execute(query):
        rows.setdefault(project, []).append((added_in, removed_in))
    return rows


def assert_maximal(rows: Intervals) -> None:
    """Each project's intervals are non-empty, apart and not touching; only the last is open."""
    for project, spans in rows.items():
        for (_added, removed), (added_next, _removed) in pairwise(spans):
            assert removed is not None, (project, spans)
            assert added_next > removed, (project, spans)
        assert all(removed is None or removed > added for added, removed in spans), spans


def index_id(connection: Connection, name: str) -> int:
    found: int = connection.scalars(select(IndexRow.id).where(IndexRow.name == name)).one()
    return found
