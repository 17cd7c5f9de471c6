"""AccountRepo: users, teams, grants and token hashes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from packhouse.db.tables import (
    AuthGenerationRow,
    GrantRow,
    TeamMemberRow,
    TeamRow,
    TokenRow,
    UserRow,
)
from packhouse.domain.roles import Role
from packhouse.errors import NotFound


def bump_generation(session: Session) -> None:
    """Invalidate every cached credential, in every worker and replica, when this commits."""
    session.execute(
        update(AuthGenerationRow)
        .where(AuthGenerationRow.id == 1)
        .values(value=AuthGenerationRow.value + 1)
    )


class AccountRepo:
    """Reads and writes account rows; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def generation(self) -> int:
        """The current auth generation (see ``AuthGenerationRow``)."""
        return (
            self.session.scalar(select(AuthGenerationRow.value).where(AuthGenerationRow.id == 1))
            or 0
        )

    def find_user(self, name: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.name == name))

    def get_user(self, name: str) -> UserRow:
        user = self.find_user(name)
        if user is None:
            raise NotFound(f"no user named {name!r}; check the name, or create the user first")
        return user

    def user_by_id(self, user_id: int) -> UserRow | None:
        return self.session.get(UserRow, user_id)

    def add_user(self, name: str, *, password_hash: str | None, is_admin: bool) -> UserRow:
        user = UserRow(name=name, password_hash=password_hash, is_admin=is_admin)
        self.session.add(user)
        self.session.flush()
        return user

    def lock_admins(self) -> Sequence[int]:
        """The admins' ids, their rows locked until the transaction ends (PostgreSQL)."""
        query = select(UserRow.id).where(UserRow.is_admin).order_by(UserRow.id).with_for_update()
        return list(self.session.scalars(query))

    def list_users(self) -> Sequence[UserRow]:
        return list(self.session.scalars(select(UserRow).order_by(UserRow.name)))

    def remove_user(self, user_id: int) -> None:
        self.session.execute(delete(UserRow).where(UserRow.id == user_id))
        bump_generation(self.session)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.session.execute(
            update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
        )
        bump_generation(self.session)

    def grants_on(self, index_id: int) -> Sequence[tuple[str, str, Role]]:
        """``(kind, name, role)`` of every grant on an index; kind is ``user`` or ``team``."""
        users = (
            select(UserRow.name, GrantRow.role)
            .join(GrantRow, GrantRow.user_id == UserRow.id)
            .where(GrantRow.index_id == index_id)
        )
        teams = (
            select(TeamRow.name, GrantRow.role)
            .join(GrantRow, GrantRow.team_id == TeamRow.id)
            .where(GrantRow.index_id == index_id)
        )
        found = [("user", name, Role(role)) for name, role in self.session.execute(users)]
        found += [("team", name, Role(role)) for name, role in self.session.execute(teams)]
        return sorted(found)

    def remove_grant(
        self, index_id: int, *, user_id: int | None = None, team_id: int | None = None
    ) -> bool:
        holder = GrantRow.user_id == user_id if user_id is not None else GrantRow.team_id == team_id
        result = self.session.execute(delete(GrantRow).where(GrantRow.index_id == index_id, holder))
        bump_generation(self.session)
        return bool(getattr(result, "rowcount", 0))

    def roles_of(self, user_id: int) -> dict[int, Role]:
        """The best role per index from the user's own grants and their teams' grants."""
        teams = select(TeamMemberRow.team_id).where(TeamMemberRow.user_id == user_id)
        query = select(GrantRow.index_id, GrantRow.role).where(
            or_(GrantRow.user_id == user_id, GrantRow.team_id.in_(teams))
        )
        roles: dict[int, Role] = {}
        for index_id, role in self.session.execute(query):
            roles[index_id] = max(roles.get(index_id, Role.READER), Role(role))
        return roles

    def set_grant(
        self, index_id: int, role: Role, *, user_id: int | None = None, team_id: int | None = None
    ) -> None:
        """Give a user or a team a role on an index, replacing the one they had."""
        existing = self.session.scalar(
            select(GrantRow).where(
                GrantRow.index_id == index_id,
                GrantRow.user_id == user_id if user_id is not None else GrantRow.team_id == team_id,
            )
        )
        if existing is None:
            self.session.add(
                GrantRow(index_id=index_id, user_id=user_id, team_id=team_id, role=int(role))
            )
        else:
            existing.role = int(role)
        bump_generation(self.session)

    def add_token(
        self,
        user_id: int,
        *,
        index_id: int | None,
        role: Role,
        name: str,
        secret_sha256: str,
        expires_at: datetime | None,
        parent_id: int | None = None,
    ) -> TokenRow:
        token = TokenRow(
            user_id=user_id,
            index_id=index_id,
            role=int(role),
            name=name,
            secret_sha256=secret_sha256,
            expires_at=expires_at,
            parent_id=parent_id,
        )
        self.session.add(token)
        self.session.flush()
        return token

    def token_by_hash(self, secret_sha256: str) -> TokenRow | None:
        return self.session.scalar(select(TokenRow).where(TokenRow.secret_sha256 == secret_sha256))

    def touch_token(self, token_id: int, moment: datetime, *, older_than: datetime) -> None:
        """Stamp a token's last use, unless another request did so recently."""
        self.session.execute(
            update(TokenRow)
            .where(
                TokenRow.id == token_id,
                or_(TokenRow.last_used_at.is_(None), TokenRow.last_used_at < older_than),
            )
            .values(last_used_at=moment)
        )

    def tokens_of(self, user_id: int) -> Sequence[TokenRow]:
        query = select(TokenRow).where(TokenRow.user_id == user_id).order_by(TokenRow.id)
        return list(self.session.scalars(query))

    def token_by_id(self, token_id: int) -> TokenRow | None:
        if not 0 < token_id < 2**31:  # beyond the column's range: no such token
            return None
        return self.session.get(TokenRow, token_id)

    def lock_token(self, token_id: int) -> TokenRow | None:
        """A token's row, locked until the transaction ends (PostgreSQL; SQLite's write
        transactions are serial): a token creating another waits for its own revocation."""
        query = select(TokenRow).where(TokenRow.id == token_id).with_for_update()
        return self.session.scalar(query.execution_options(populate_existing=True))

    def revoke_token(self, token_id: int, moment: datetime) -> Sequence[int]:
        """Revoke a token and every token made through it (and through those); returns the
        ids of its descendants that were still live."""
        self.session.execute(
            update(TokenRow).where(TokenRow.id == token_id).values(revoked_at=moment)
        )
        revoked: list[int] = []
        parents = [token_id]
        while parents:  # a child's id is always above its parent's: no cycles
            children = list(
                self.session.scalars(select(TokenRow.id).where(TokenRow.parent_id.in_(parents)))
            )
            if children:
                live = update(TokenRow).where(
                    TokenRow.id.in_(children), TokenRow.revoked_at.is_(None)
                )
                returning = live.values(revoked_at=moment).returning(TokenRow.id)
                revoked += self.session.scalars(
                    returning, execution_options={"synchronize_session": False}
                )
            parents = children
        bump_generation(self.session)
        return sorted(revoked)


class TeamRepo:
    """Teams and their members; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> TeamRow:
        team = self.session.scalar(select(TeamRow).where(TeamRow.name == name))
        if team is None:
            raise NotFound(f"no team named {name!r}; check the name, or create the team first")
        return team

    def add(self, name: str) -> TeamRow:
        team = TeamRow(name=name)
        self.session.add(team)
        self.session.flush()
        return team

    def list(self) -> Sequence[TeamRow]:
        return list(self.session.scalars(select(TeamRow).order_by(TeamRow.name)))

    def members(self, team_id: int) -> Sequence[str]:
        query = (
            select(UserRow.name)
            .join(TeamMemberRow, TeamMemberRow.user_id == UserRow.id)
            .where(TeamMemberRow.team_id == team_id)
            .order_by(UserRow.name)
        )
        return list(self.session.scalars(query))

    def add_member(self, team_id: int, user_id: int) -> bool:
        exists = self.session.scalar(
            select(TeamMemberRow.id).where(
                TeamMemberRow.team_id == team_id, TeamMemberRow.user_id == user_id
            )
        )
        if exists is not None:
            return False
        self.session.add(TeamMemberRow(team_id=team_id, user_id=user_id))
        bump_generation(self.session)
        return True

    def remove_member(self, team_id: int, user_id: int) -> bool:
        result = self.session.execute(
            delete(TeamMemberRow).where(
                TeamMemberRow.team_id == team_id, TeamMemberRow.user_id == user_id
            )
        )
        bump_generation(self.session)
        return bool(getattr(result, "rowcount", 0))

    def remove(self, team_id: int) -> None:
        self.session.execute(delete(TeamRow).where(TeamRow.id == team_id))
        bump_generation(self.session)
