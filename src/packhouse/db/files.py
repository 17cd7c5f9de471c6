"""FileRepo: file contents, their membership in index versions, and yanks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from packhouse.db import Executor
from packhouse.db.tables import (
    DistributionRow,
    IndexFileRow,
    IndexProjectRow,
    IndexVersionRow,
    YankRow,
)
from packhouse.domain.digests import Digests


@dataclass(frozen=True, slots=True)
class LiveFile:
    """A file live in some index version, with what a page shows of it."""

    membership_id: int
    distribution_id: int
    filename: str
    project: str
    display_name: str
    version: str
    sha256: str
    size: int
    md5: str
    blake2_256: str
    kind: str
    requires_python: str | None
    summary: str | None
    metadata_sha256: str | None
    uploaded_at: datetime
    added_in: int
    #: The release: the version in PEP 440 canonical form, as yanks name it.
    release: str
    #: Who uploaded it (a user name); None when not recorded.
    uploader: str | None
    #: sha256 hex of the normalized filename (``DistFilename.key``).
    file_key: str


@dataclass(frozen=True, slots=True)
class NewDistribution:
    """What an upload records about a file's content."""

    filename: str
    project: str
    display_name: str
    version: str
    kind: str
    digests: Digests
    requires_python: str | None
    summary: str | None
    metadata_sha256: str | None


def live_at(
    table: type[IndexFileRow] | type[IndexProjectRow] | type[YankRow], version: int
) -> ColumnElement[bool]:
    """Rows present in an index version: added at or before it and not removed by then."""
    return and_(
        table.added_in <= version, or_(table.removed_in.is_(None), table.removed_in > version)
    )


_LIVE_COLUMNS = (
    IndexFileRow.id,
    DistributionRow.id,
    IndexFileRow.filename,
    IndexFileRow.project,
    DistributionRow.display_name,
    DistributionRow.version,
    DistributionRow.sha256,
    DistributionRow.size,
    DistributionRow.md5,
    DistributionRow.blake2_256,
    DistributionRow.kind,
    DistributionRow.requires_python,
    DistributionRow.summary,
    DistributionRow.metadata_sha256,
    IndexFileRow.uploaded_at,
    IndexFileRow.added_in,
    IndexFileRow.version,
    IndexFileRow.uploader,
    IndexFileRow.file_key,
)


_DISTRIBUTIONS: Table = DistributionRow.__table__  # type: ignore[assignment]
_MEMBERSHIPS: Table = IndexFileRow.__table__  # type: ignore[assignment]
#: Core statements, built once: uploads run them without the unit of work or rebuilding them.
#: ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: no row when the content is known.
_INSERT_DISTRIBUTION = {
    "sqlite": sqlite_insert(_DISTRIBUTIONS).on_conflict_do_nothing().returning(_DISTRIBUTIONS.c.id),
    "postgresql": pg_insert(_DISTRIBUTIONS).on_conflict_do_nothing().returning(_DISTRIBUTIONS.c.id),
}
_DISTRIBUTION_ID = select(DistributionRow.id).where(
    DistributionRow.sha256 == bindparam("sha256"),
    DistributionRow.filename == bindparam("filename"),
)
_INSERT_MEMBERSHIP = insert(_MEMBERSHIPS)
_INSERT_YANK = insert(YankRow.__table__)  # type: ignore[arg-type]
_PROJECTS: Table = IndexProjectRow.__table__  # type: ignore[assignment]
#: A project's open row, made unless it has one: a lookup in ``ix_index_projects_open`` and at
#: most one insert, in one statement.
_OPEN_PROJECT = insert(_PROJECTS).from_select(
    ["index_id", "project", "added_in"],
    select(
        bindparam("index", type_=Integer),
        bindparam("name", type_=String),
        bindparam("since", type_=Integer),
    ).where(
        ~exists().where(
            IndexProjectRow.index_id == bindparam("index"),
            IndexProjectRow.project == bindparam("name"),
            IndexProjectRow.removed_in.is_(None),
        )
    ),
)
#: A project's open row ended, when none of its files is live any more.
_CLOSE_EMPTY_PROJECT = (
    update(_PROJECTS)
    .where(
        _PROJECTS.c.index_id == bindparam("index"),
        _PROJECTS.c.project == bindparam("name"),
        _PROJECTS.c.removed_in.is_(None),
        ~exists().where(
            IndexFileRow.index_id == bindparam("index"),
            IndexFileRow.project == bindparam("name"),
            IndexFileRow.removed_in.is_(None),
        ),
    )
    .values(removed_in=bindparam("until"))
)
_MEMBERSHIPS_BY_KEY = (
    select(IndexFileRow.filename, DistributionRow.sha256, IndexFileRow.removed_in.is_(None))
    .join(DistributionRow, DistributionRow.id == IndexFileRow.distribution_id)
    .where(
        IndexFileRow.index_id == bindparam("index_id"),
        IndexFileRow.file_key == bindparam("file_key"),
    )
    .order_by(IndexFileRow.id)
)
_HAS_HISTORY = (
    select(IndexFileRow.id)
    .where(
        IndexFileRow.index_id == bindparam("index_id"),
        IndexFileRow.project == bindparam("project"),
    )
    .limit(1)
)


@dataclass(frozen=True, slots=True)
class Membership:
    """A row that held a normalized filename in an index, live or not."""

    filename: str
    sha256: str
    #: Whether it is live in the newest version.
    live: bool


def _live(row: Sequence[Any]) -> LiveFile:
    return LiveFile(*row)


def _dialect_name(executor: Executor) -> str:
    if isinstance(executor, Connection):
        return executor.dialect.name
    return executor.get_bind().dialect.name


class FileRepo:
    """Reads and writes file rows; never commits."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def live_files(
        self, index_id: int, version: int, *, project: str | None = None
    ) -> Sequence[LiveFile]:
        query = (
            select(*_LIVE_COLUMNS)
            .join(DistributionRow, DistributionRow.id == IndexFileRow.distribution_id)
            .where(IndexFileRow.index_id == index_id, live_at(IndexFileRow, version))
        )
        if project is not None:
            query = query.where(IndexFileRow.project == project)
        return [_live(row) for row in self.session.execute(query.order_by(IndexFileRow.id))]

    def live_projects(self, index_id: int, version: int) -> Sequence[str]:
        """The projects with a live file in an index version, by name (``index_projects``)."""
        query = (
            select(IndexProjectRow.project)
            .where(IndexProjectRow.index_id == index_id, live_at(IndexProjectRow, version))
            .order_by(IndexProjectRow.project)
        )
        return list(self.session.scalars(query))

    def live_yanks(
        self, index_id: int, version: int, *, project: str | None = None
    ) -> dict[tuple[str, str], str]:
        """``{(project, version): reason}`` of the releases yanked in an index version."""
        query = select(YankRow.project, YankRow.version, YankRow.reason).where(
            YankRow.index_id == index_id, live_at(YankRow, version)
        )
        if project is not None:
            query = query.where(YankRow.project == project)
        rows = self.session.execute(query.order_by(YankRow.id))
        return {(p, v): reason for p, v, reason in rows}

    def yanked_by(self, index_id: int, version: int, project: str, release: str) -> str | None:
        """Who made a release's yank live in an index version: the actor of the index version
        that added it; None when it is not yanked or the yank had no actor (the operator)."""
        query = (
            select(IndexVersionRow.actor)
            .join(
                YankRow,
                and_(
                    YankRow.index_id == IndexVersionRow.index_id,
                    YankRow.added_in == IndexVersionRow.number,
                ),
            )
            .where(
                YankRow.index_id == index_id,
                YankRow.project == project,
                YankRow.version == release,
                live_at(YankRow, version),
            )
        )
        return self.session.execute(query.limit(1)).scalar()

    def has_history(self, index_id: int, project: str) -> bool:
        """Whether the index ever held a file of this project (live or not)."""
        key = {"index_id": index_id, "project": project}
        return self.session.execute(_HAS_HISTORY, key).first() is not None

    def memberships_by_key(self, index_id: int, file_key: str) -> Sequence[Membership]:
        """Every row that ever held this normalized filename in the index, oldest first."""
        key = {"index_id": index_id, "file_key": file_key}
        rows = self.session.execute(_MEMBERSHIPS_BY_KEY, key)
        return [Membership(name, sha, bool(live)) for name, sha, live in rows]

    def find_served_file(self, index_id: int, sha256: str, filename: str) -> LiveFile | None:
        """A file that is or was in any version of the index, by its URL parts."""
        query = (
            select(*_LIVE_COLUMNS)
            .join(DistributionRow, DistributionRow.id == IndexFileRow.distribution_id)
            .where(
                IndexFileRow.index_id == index_id,
                IndexFileRow.filename == filename,
                DistributionRow.sha256 == sha256,
            )
            .limit(1)
        )
        row = self.session.execute(query).first()
        return _live(row) if row else None

    def ensure_distribution(self, new: NewDistribution) -> int:
        """The id of the content row for these bytes under this filename, made if missing."""
        values = {
            "sha256": new.digests.sha256,
            "filename": new.filename,
            "project": new.project,
            "display_name": new.display_name,
            "version": new.version,
            "kind": new.kind,
            "size": new.digests.size,
            "md5": new.digests.md5,
            "blake2_256": new.digests.blake2_256,
            "requires_python": new.requires_python,
            "summary": new.summary,
            "metadata_sha256": new.metadata_sha256,
        }
        dialect = _dialect_name(self.session)
        statement = _INSERT_DISTRIBUTION["postgresql" if dialect == "postgresql" else "sqlite"]
        made: int | None = self.session.execute(statement, values).scalar()
        if made is not None:
            return made
        key = {"sha256": new.digests.sha256, "filename": new.filename}
        return self.session.execute(_DISTRIBUTION_ID, key).scalar_one()

    def add_membership(
        self,
        index_id: int,
        distribution_id: int,
        *,
        filename: str,
        project: str,
        release: str,
        file_key: str,
        added_in: int,
        uploaded_at: datetime | None = None,
        uploader: str | None = None,
    ) -> None:
        """Make a file live from ``added_in`` on, in ``release`` (a canonical version)."""
        row: dict[str, object] = {
            "index_id": index_id,
            "distribution_id": distribution_id,
            "filename": filename,
            "project": project,
            "version": release,
            "file_key": file_key,
            "added_in": added_in,
            "uploader": uploader,
        }
        if uploaded_at is not None:
            row["uploaded_at"] = uploaded_at
        self.session.execute(_INSERT_MEMBERSHIP, row)

    def end_memberships(self, membership_ids: Sequence[int], *, removed_in: int) -> None:
        if membership_ids:
            self.session.execute(
                update(IndexFileRow)
                .where(IndexFileRow.id.in_(membership_ids))
                .values(removed_in=removed_in)
            )

    def open_projects(self, index_id: int, projects: Collection[str], *, added_in: int) -> None:
        """Record these projects as live from ``added_in`` on, where they are not live already.

        Call after adding their files in the newest version; costs one indexed lookup per
        project, and an insert only for a project new to the index (or back in it).
        """
        rows = [{"index": index_id, "name": p, "since": added_in} for p in projects]
        if rows:
            self.session.execute(_OPEN_PROJECT, rows)

    def close_empty_projects(
        self, index_id: int, projects: Collection[str], *, removed_in: int
    ) -> None:
        """End the open rows of those of these projects that have no live file left.

        Call after ending file memberships in the newest version.
        """
        rows = [{"index": index_id, "name": p, "until": removed_in} for p in projects]
        if rows:
            self.session.execute(_CLOSE_EMPTY_PROJECT, rows)

    def add_yank(
        self, index_id: int, project: str, version: str, *, reason: str, added_in: int
    ) -> None:
        row = {
            "index_id": index_id,
            "project": project,
            "version": version,
            "reason": reason,
            "added_in": added_in,
        }
        self.session.execute(_INSERT_YANK, row)

    def end_yank(self, index_id: int, project: str, version: str, *, removed_in: int) -> None:
        self.session.execute(
            update(YankRow)
            .where(
                YankRow.index_id == index_id,
                YankRow.project == project,
                YankRow.version == version,
                YankRow.removed_in.is_(None),
            )
            .values(removed_in=removed_in)
        )
