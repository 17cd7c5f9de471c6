"""ProjectOwnerRepo: who owns each project name of an index, and whose grant an upload uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Insert, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from packhouse.db import Executor
from packhouse.db.tables import (
    GrantRow,
    IndexRow,
    ProjectOwnerRow,
    TeamMemberRow,
    TeamRow,
    UserRow,
    utcnow,
)
from packhouse.domain.model import ProjectOwnership
from packhouse.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Holder:
    """A user or a team, as an owner of a project or the holder of a grant."""

    #: ``user`` or ``team``.
    kind: str
    name: str
    id: int


def _holder(*, user_id: int | None, team_id: int | None) -> ColumnElement[bool]:
    if user_id is not None:
        return ProjectOwnerRow.user_id == user_id
    return ProjectOwnerRow.team_id == team_id


def _insert_new(executor: Executor, row: dict[str, object]) -> Insert:
    """INSERT of an owner row that does nothing when the row is there (ON CONFLICT DO NOTHING,
    which SQLite and PostgreSQL both know, each through its own dialect's construct)."""
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    if bind.dialect.name == "postgresql":
        return postgresql.insert(ProjectOwnerRow).values(row).on_conflict_do_nothing()
    return sqlite.insert(ProjectOwnerRow).values(row).on_conflict_do_nothing()


def project_ownership(executor: Executor, index_id: int) -> ProjectOwnership:
    """The index's setting as stored now (in a draft: as of its write lock)."""
    value = executor.execute(
        select(IndexRow.project_ownership).where(IndexRow.id == index_id)
    ).scalar_one()
    return ProjectOwnership(value)


class ProjectOwnerRepo:
    """Reads and writes ``project_owners`` rows; never commits. Works on a draft's connection."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def owners(self, index_id: int, project: str) -> Sequence[Holder]:
        """The project's owners, users first, each kind by name."""
        where = (ProjectOwnerRow.index_id == index_id, ProjectOwnerRow.project == project)
        users = (
            select(UserRow.name, UserRow.id)
            .join(ProjectOwnerRow, ProjectOwnerRow.user_id == UserRow.id)
            .where(*where)
        )
        teams = (
            select(TeamRow.name, TeamRow.id)
            .join(ProjectOwnerRow, ProjectOwnerRow.team_id == TeamRow.id)
            .where(*where)
        )
        found = [Holder("user", name, id_) for name, id_ in self.session.execute(users)]
        found += [Holder("team", name, id_) for name, id_ in self.session.execute(teams)]
        return sorted(found, key=lambda h: (h.kind != "user", h.name))

    def is_owner(self, index_id: int, project: str, user_id: int) -> bool:
        """Whether the user owns the project, directly or through one of their teams."""
        teams = select(TeamMemberRow.team_id).where(TeamMemberRow.user_id == user_id)
        query = select(ProjectOwnerRow.id).where(
            ProjectOwnerRow.index_id == index_id,
            ProjectOwnerRow.project == project,
            or_(ProjectOwnerRow.user_id == user_id, ProjectOwnerRow.team_id.in_(teams)),
        )
        return self.session.execute(query.limit(1)).first() is not None

    def add(
        self, index_id: int, project: str, *, user_id: int | None = None, team_id: int | None = None
    ) -> bool:
        """Make a user or a team an owner; False when it already was one.

        One statement that ignores a row already there, so two requests adding the same owner
        at once (or one adding it while an upload claims the project) both succeed.
        """
        row = {
            "index_id": index_id,
            "project": project,
            "user_id": user_id,
            "team_id": team_id,
            "created_at": utcnow(),
        }
        result = self.session.execute(_insert_new(self.session, row))
        return bool(getattr(result, "rowcount", 0))

    def remove(
        self, index_id: int, project: str, *, user_id: int | None = None, team_id: int | None = None
    ) -> bool:
        """End a user's or a team's ownership; False when it was not an owner."""
        result = self.session.execute(
            delete(ProjectOwnerRow).where(
                ProjectOwnerRow.index_id == index_id,
                ProjectOwnerRow.project == project,
                _holder(user_id=user_id, team_id=team_id),
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def upload_grant(self, index_id: int, user_id: int) -> Holder | None:
        """Whose grant lets the user upload: their own, else their best team's; None if none.

        Teams are ranked by role, then by name, so the answer does not depend on row order.
        """
        own = select(GrantRow.id).where(
            GrantRow.index_id == index_id,
            GrantRow.user_id == user_id,
            GrantRow.role >= int(Role.UPLOADER),
        )
        if self.session.execute(own).first() is not None:
            name = self.session.scalar(select(UserRow.name).where(UserRow.id == user_id))
            return Holder("user", name or "", user_id)
        teams = (
            select(TeamRow.name, TeamRow.id)
            .join(GrantRow, GrantRow.team_id == TeamRow.id)
            .join(TeamMemberRow, TeamMemberRow.team_id == TeamRow.id)
            .where(
                GrantRow.index_id == index_id,
                TeamMemberRow.user_id == user_id,
                GrantRow.role >= int(Role.UPLOADER),
            )
            .order_by(GrantRow.role.desc(), TeamRow.name)
            .limit(1)
        )
        best = self.session.execute(teams).first()
        return Holder("team", best[0], best[1]) if best else None
