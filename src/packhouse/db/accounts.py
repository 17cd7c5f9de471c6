"""AccountRepo: users, teams, grants and token hashes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from packhouse.db.tables import GrantRow, TeamMemberRow, TeamRow, TokenRow, UserRow
from packhouse.domain.roles import Role
from packhouse.errors import NotFound


class AccountRepo:
    """Reads and writes account rows; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find_user(self, name: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.name == name))

    def get_user(self, name: str) -> UserRow:
        user = self.find_user(name)
        if user is None:
            raise NotFound(f"no user named {name!r}; create it with `packhouse user create`")
        return user

    def user_by_id(self, user_id: int) -> UserRow | None:
        return self.session.get(UserRow, user_id)

    def add_user(self, name: str, *, password_hash: str | None, is_admin: bool) -> UserRow:
        user = UserRow(name=name, password_hash=password_hash, is_admin=is_admin)
        self.session.add(user)
        self.session.flush()
        return user

    def find_team(self, name: str) -> TeamRow | None:
        return self.session.scalar(select(TeamRow).where(TeamRow.name == name))

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

    def add_token(
        self,
        user_id: int,
        *,
        index_id: int | None,
        role: Role,
        name: str,
        secret_sha256: str,
        expires_at: datetime | None,
    ) -> TokenRow:
        token = TokenRow(
            user_id=user_id,
            index_id=index_id,
            role=int(role),
            name=name,
            secret_sha256=secret_sha256,
            expires_at=expires_at,
        )
        self.session.add(token)
        self.session.flush()
        return token

    def token_by_hash(self, secret_sha256: str) -> TokenRow | None:
        return self.session.scalar(select(TokenRow).where(TokenRow.secret_sha256 == secret_sha256))

    def touch_token(self, token_id: int, moment: datetime) -> None:
        self.session.execute(
            update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=moment)
        )

    def tokens_of(self, user_id: int) -> Sequence[TokenRow]:
        return list(self.session.scalars(select(TokenRow).where(TokenRow.user_id == user_id)))
