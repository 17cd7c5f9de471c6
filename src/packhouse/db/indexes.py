"""IndexRepo: indexes and their version history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from packhouse.db import Executor
from packhouse.db.accounts import bump_generation
from packhouse.db.tables import IndexRow, IndexVersionRow, RetiredIndexNameRow
from packhouse.domain.model import Index, IndexKind, IndexVersion, ProjectOwnership
from packhouse.domain.names import IndexName
from packhouse.errors import NotFound

_VERSIONS: Table = IndexVersionRow.__table__  # type: ignore[assignment]
#: Core statements, built once: no unit-of-work flush or statement rebuilding per upload.
_INSERT_VERSION = insert(_VERSIONS)
_BUMP_VERSION = (
    update(IndexRow)
    .where(IndexRow.id == bindparam("index_id"))
    .values(version=IndexRow.version + 1)
    .returning(IndexRow.version)
)


def to_index(row: IndexRow) -> Index:
    return Index(
        id=row.id,
        name=IndexName(row.name),
        kind=IndexKind(row.kind),
        private=row.private,
        version=row.version,
        created_at=row.created_at,
        project_ownership=ProjectOwnership(row.project_ownership),
    )


class IndexRepo:
    """Reads and writes index rows; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, name: str) -> Index | None:
        row = self.session.scalar(select(IndexRow).where(IndexRow.name == name))
        return to_index(row) if row else None

    def get(self, name: str) -> Index:
        index = self.find(name)
        if index is None:
            raise NotFound(f"no index named {name!r}; check the name")
        return index

    def list(self) -> Sequence[Index]:
        rows = self.session.scalars(select(IndexRow).order_by(IndexRow.name))
        return [to_index(row) for row in rows]

    def add(
        self,
        name: IndexName,
        *,
        kind: IndexKind,
        private: bool,
        project_ownership: ProjectOwnership = ProjectOwnership.FIRST_UPLOADER,
    ) -> Index:
        row = IndexRow(
            name=name,
            kind=kind.value,
            private=private,
            version=0,
            project_ownership=project_ownership.value,
        )
        self.session.add(row)
        self.session.flush()
        return to_index(row)

    def set_private(self, index_id: int, *, private: bool) -> None:
        self.session.execute(
            update(IndexRow).where(IndexRow.id == index_id).values(private=private)
        )

    def set_project_ownership(self, index_id: int, ownership: ProjectOwnership) -> None:
        self.session.execute(
            update(IndexRow)
            .where(IndexRow.id == index_id)
            .values(project_ownership=ownership.value)
        )

    def remove(self, index_id: int) -> bool:
        """Delete an index; False if it was gone already (a concurrent deletion)."""
        result = self.session.execute(delete(IndexRow).where(IndexRow.id == index_id))
        bump_generation(self.session)  # its grants and tokens go with it
        return bool(getattr(result, "rowcount", 0))

    def retire(self, name: str, *, by: str | None) -> None:
        """Keep a deleted index's name from being used again."""
        self.session.add(RetiredIndexNameRow(name=name, retired_by=by))
        self.session.flush()

    def is_retired(self, name: str) -> bool:
        found = self.session.scalar(
            select(RetiredIndexNameRow.name).where(RetiredIndexNameRow.name == name)
        )
        return found is not None

    def retired(self) -> Sequence[RetiredIndexNameRow]:
        query = select(RetiredIndexNameRow).order_by(RetiredIndexNameRow.name)
        return list(self.session.scalars(query))

    def unretire(self, name: str) -> bool:
        """Free a retired name; False if it was not retired."""
        result = self.session.execute(
            delete(RetiredIndexNameRow).where(RetiredIndexNameRow.name == name)
        )
        return bool(getattr(result, "rowcount", 0))

    def bump_version(self, index_id: int) -> int:
        """Take the index's write lock and return the next version number."""
        return bump_version(self.session, index_id)

    def record_version(
        self, index_id: int, number: int, *, action: str, actor: str | None, summary: str
    ) -> None:
        record_version(self.session, index_id, number, action=action, actor=actor, summary=summary)

    def versions(self, index_id: int) -> Sequence[IndexVersion]:
        rows = self.session.scalars(
            select(IndexVersionRow)
            .where(IndexVersionRow.index_id == index_id)
            .order_by(IndexVersionRow.number)
        )
        return [
            IndexVersion(
                number=row.number,
                created_at=row.created_at,
                action=row.action,
                actor=row.actor,
                summary=row.summary,
            )
            for row in rows
        ]


def bump_version(executor: Executor, index_id: int) -> int:
    """Take the index's write lock and return the next version number."""
    number: int = executor.execute(_BUMP_VERSION, {"index_id": index_id}).scalar_one()
    return number


def record_version(
    executor: Executor,
    index_id: int,
    number: int,
    *,
    action: str,
    actor: str | None,
    summary: str,
) -> None:
    """Add the history row of a new index version."""
    row = {
        "index_id": index_id,
        "number": number,
        "action": action,
        "actor": actor,
        "summary": summary,
    }
    executor.execute(_INSERT_VERSION, row)
