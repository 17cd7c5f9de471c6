"""AuditRepo: the append-only log of changes and security events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from packhouse.db import Executor
from packhouse.db.tables import AuditRow
from packhouse.domain.model import AuditEntry

_TABLE: Table = AuditRow.__table__  # type: ignore[assignment]
#: A Core insert: no unit-of-work flush on the upload path.
_INSERT = insert(_TABLE)


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        index=row.index_name,
        target=row.target,
        detail=row.detail,
        remote_addr=row.remote_addr,
    )


class AuditRepo:
    """Appends and reads audit rows; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        action: str,
        *,
        actor: str | None,
        index: str | None = None,
        target: str = "",
        detail: str = "",
        remote_addr: str | None = None,
    ) -> None:
        add_entry(
            self.session,
            action,
            actor=actor,
            index=index,
            target=target,
            detail=detail,
            remote_addr=remote_addr,
        )

    def page(
        self, *, index: str | None, offset: int, limit: int, since: datetime | None = None
    ) -> tuple[Sequence[AuditEntry], int]:
        """Newest first; ``index=None`` reads the whole log; ``since`` leaves out older entries
        (an index's log starts when it was created: an earlier, purged index of the same name
        had its own)."""
        query = select(AuditRow)
        count = select(func.count()).select_from(AuditRow)
        if index is not None:
            query = query.where(AuditRow.index_name == index)
            count = count.where(AuditRow.index_name == index)
        if since is not None:
            query = query.where(AuditRow.at >= since)
            count = count.where(AuditRow.at >= since)
        rows = self.session.scalars(query.order_by(AuditRow.id.desc()).offset(offset).limit(limit))
        return [_entry(row) for row in rows], self.session.scalar(count) or 0


def add_entry(
    executor: Executor,
    action: str,
    *,
    actor: str | None,
    index: str | None = None,
    target: str = "",
    detail: str = "",
    remote_addr: str | None = None,
) -> None:
    """Append one audit row inside the caller's transaction."""
    row = {
        "actor": actor,
        "action": action,
        "index_name": index,
        "target": target,
        "detail": detail,
        "remote_addr": remote_addr,
    }
    executor.execute(_INSERT, row)
