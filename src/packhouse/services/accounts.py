"""Users, teams, grants and API tokens, shared by the CLI and the REST API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from packhouse.db import write_transaction
from packhouse.db.accounts import AccountRepo, TeamRepo
from packhouse.db.audit import AuditRepo
from packhouse.db.indexes import IndexRepo
from packhouse.db.tables import TokenRow, UserRow
from packhouse.domain.names import parse_user_name
from packhouse.domain.policy import Target
from packhouse.domain.roles import Action, Principal, Role, TokenScope
from packhouse.errors import Conflict, Invalid, NotFound, Unauthorized
from packhouse.services.access import AccessService
from packhouse.services.auth import AuthService, new_token_secret, token_hash

MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TeamInfo:
    name: str
    members: Sequence[str]


@dataclass(frozen=True, slots=True)
class Grant:
    index: str
    #: ``user`` or ``team``.
    kind: str
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What is shown of a token after its creation: never the secret."""

    id: int
    name: str
    user: str
    #: The index it is limited to; None for all of its user's indexes.
    index: str | None
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    info: TokenInfo
    #: The secret, shown once; only its hash is kept.
    secret: str


class AccountService:
    """Account management; permission checks go through the one AccessService."""

    def __init__(
        self, *, sessions: sessionmaker[Session], access: AccessService, auth: AuthService
    ) -> None:
        self._sessions = sessions
        self._access = access
        self._auth = auth

    # users

    def create_user(
        self, principal: Principal, name: str, *, password: str, admin: bool
    ) -> UserInfo:
        self._access.authorize(principal, Action.CREATE_USER, Target())
        user_name = parse_user_name(name)
        password_hash = self._auth.hash_password(_check_password(password))
        try:
            with write_transaction(self._sessions) as session:
                user = AccountRepo(session).add_user(
                    user_name, password_hash=password_hash, is_admin=admin
                )
                _audit(session, principal, "user.create", target=user_name, detail=f"admin={admin}")
                return _user(user)
        except IntegrityError:
            raise Conflict(f"a user named {name!r} already exists") from None

    def users(self, principal: Principal) -> Sequence[UserInfo]:
        self._access.authorize(principal, Action.LIST_USERS, Target())
        with self._sessions() as session:
            return [_user(u) for u in AccountRepo(session).list_users()]

    def user(self, principal: Principal, name: str) -> UserInfo:
        missing = f"no user named {name!r}"
        with self._sessions() as session:
            found = AccountRepo(session).find_user(name)
        target = Target(user_id=found.id if found else None)
        self._access.authorize(principal, Action.SHOW_USER, target, missing=missing)
        if found is None:
            raise NotFound(missing)
        return _user(found)

    def delete_user(self, principal: Principal, name: str) -> None:
        """Delete a user (not the last admin: someone must be left to manage the server)."""
        self._access.authorize(principal, Action.DELETE_USER, Target())
        with write_transaction(self._sessions) as session:
            accounts = AccountRepo(session)
            user = accounts.get_user(name)
            if user.is_admin and accounts.lock_admins() == [user.id]:
                raise Conflict(
                    f"{name!r} is the last admin and cannot be deleted; make another admin first"
                )
            accounts.remove_user(user.id)
            _audit(session, principal, "user.delete", target=name)

    def set_password(
        self, principal: Principal, name: str, password: str, *, current: str | None = None
    ) -> None:
        """Change a password: one's own with the current one, or anyone's as an admin.

        Verified-credential caches see the new hash at once.
        """
        with self._sessions() as session:
            user = AccountRepo(session).find_user(name)
        if user is None or user.id != principal.user_id:
            self._access.authorize(principal, Action.RESET_PASSWORD, Target())
            if user is None:
                raise NotFound(f"no user named {name!r}")
        else:
            self._access.authorize(principal, Action.CHANGE_OWN_PASSWORD, Target(user_id=user.id))
            self._auth.confirm_password(user, current)
        password_hash = self._auth.hash_password(_check_password(password))
        with write_transaction(self._sessions) as session:
            AccountRepo(session).set_password_hash(user.id, password_hash)
            _audit(session, principal, "user.password", target=name)

    # teams

    def create_team(self, principal: Principal, name: str) -> TeamInfo:
        self._access.authorize(principal, Action.CREATE_TEAM, Target())
        team_name = parse_user_name(name)
        try:
            with write_transaction(self._sessions) as session:
                TeamRepo(session).add(team_name)
                _audit(session, principal, "team.create", target=team_name)
        except IntegrityError:
            raise Conflict(f"a team named {name!r} already exists") from None
        return TeamInfo(team_name, [])

    def teams(self, principal: Principal) -> Sequence[TeamInfo]:
        with self._sessions() as session:
            teams = TeamRepo(session)
            found = [TeamInfo(t.name, teams.members(t.id)) for t in teams.list()]
        # Refuses a credential that may show no team at all, even the caller's own.
        own = Target(members=frozenset({principal.name}))
        self._access.authorize(principal, Action.SHOW_TEAM, own)
        return [t for t in found if self._access.permits(principal, Action.SHOW_TEAM, _team(t))]

    def team(self, principal: Principal, name: str) -> TeamInfo:
        with self._sessions() as session:
            teams = TeamRepo(session)
            team = teams.get(name)
            info = TeamInfo(team.name, teams.members(team.id))
        missing = f"no team named {name!r}"
        self._access.authorize(principal, Action.SHOW_TEAM, _team(info), missing=missing)
        return info

    def add_member(self, principal: Principal, team: str, user: str) -> None:
        self._access.authorize(principal, Action.MANAGE_TEAM_MEMBERS, Target())
        with write_transaction(self._sessions) as session:
            team_row = TeamRepo(session).get(team)
            if TeamRepo(session).add_member(team_row.id, AccountRepo(session).get_user(user).id):
                _audit(session, principal, "team.add", target=f"{team}/{user}")

    def remove_member(self, principal: Principal, team: str, user: str) -> None:
        self._access.authorize(principal, Action.MANAGE_TEAM_MEMBERS, Target())
        with write_transaction(self._sessions) as session:
            team_row = TeamRepo(session).get(team)
            user_row = AccountRepo(session).get_user(user)
            if not TeamRepo(session).remove_member(team_row.id, user_row.id):
                raise NotFound(f"user {user!r} is not in team {team!r}")
            _audit(session, principal, "team.remove", target=f"{team}/{user}")

    def delete_team(self, principal: Principal, name: str) -> None:
        self._access.authorize(principal, Action.DELETE_TEAM, Target())
        with write_transaction(self._sessions) as session:
            teams = TeamRepo(session)
            teams.remove(teams.get(name).id)
            _audit(session, principal, "team.delete", target=name)

    # grants

    def grants(self, principal: Principal, index: str) -> Sequence[Grant]:
        target = self._access.require(principal, Action.LIST_GRANTS, index)
        with self._sessions() as session:
            found = AccountRepo(session).grants_on(target.id)
        return [Grant(target.name, kind, name, role) for kind, name, role in found]

    def grant(
        self,
        principal: Principal,
        role: Role,
        *,
        index: str,
        user: str | None = None,
        team: str | None = None,
    ) -> Grant:
        """Give a user or a team a role on an index (replacing the one it had)."""
        target = self._access.require(principal, Action.GRANT, index)
        kind, name = _holder(user, team)
        with write_transaction(self._sessions) as session:
            holder = self._holder_ids(session, user, team)
            AccountRepo(session).set_grant(target.id, role, **holder)
            _audit(
                session, principal, "grant", index=index, target=f"{kind} {name}", detail=str(role)
            )
        return Grant(target.name, kind, name, role)

    def revoke(
        self,
        principal: Principal,
        *,
        index: str,
        user: str | None = None,
        team: str | None = None,
    ) -> None:
        target = self._access.require(principal, Action.GRANT, index)
        kind, name = _holder(user, team)
        with write_transaction(self._sessions) as session:
            holder = self._holder_ids(session, user, team)
            if not AccountRepo(session).remove_grant(target.id, **holder):
                raise NotFound(f"{kind} {name!r} has no role on index {index!r}")
            _audit(session, principal, "revoke", index=index, target=f"{kind} {name}")

    @staticmethod
    def _holder_ids(session: Session, user: str | None, team: str | None) -> dict[str, int]:
        if user is not None:
            return {"user_id": AccountRepo(session).get_user(user).id}
        assert team is not None
        return {"team_id": TeamRepo(session).get(team).id}

    # tokens

    def create_token(
        self,
        principal: Principal,
        *,
        user: str,
        index: str | None,
        role: Role,
        name: str = "",
        expires_in: timedelta | None = None,
    ) -> IssuedToken:
        """Issue a token; its role may not exceed what its user holds on the index.

        A token may create only tokens no wider in scope, no higher in role and expiring no
        later than itself; without ``expires_in`` they expire with it. Revoking it revokes them.
        """
        if len(name) > 128:
            raise Invalid("a token name has at most 128 characters")
        if index is not None:  # a private index the caller cannot see answers as missing
            self._access.require(principal, Action.READ, index)
        secret = new_token_secret()
        expires_at = _expiry(principal, expires_in)
        with write_transaction(self._sessions) as session:
            accounts = AccountRepo(session)
            owner = accounts.get_user(user)
            index_id = _token_index(session, owner, index=index, role=role)
            scope = TokenScope(index_id, role, expires_at=expires_at)
            target = Target(user_id=owner.id, token=scope)
            self._access.authorize(principal, Action.CREATE_TOKEN, target)
            row = accounts.add_token(
                owner.id,
                index_id=index_id,
                role=role,
                name=name,
                secret_sha256=token_hash(secret),
                expires_at=expires_at,
                parent_id=_live_parent(accounts, principal),
            )
            _audit(
                session,
                principal,
                "token.create",
                index=index,
                target=f"token {row.id}",
                detail=f"user={user} role={role}",
            )
            return IssuedToken(_token(row, owner.name, index), secret)

    def tokens(self, principal: Principal, *, user: str) -> Sequence[TokenInfo]:
        with self._sessions() as session:
            accounts = AccountRepo(session)
            owner = accounts.get_user(user)
            self._access.authorize(principal, Action.LIST_TOKENS, Target(user_id=owner.id))
            names = _index_names(session)
            return [
                _token(t, owner.name, names.get(t.index_id)) for t in accounts.tokens_of(owner.id)
            ]

    def revoke_token(self, principal: Principal, token_id: int) -> None:
        """Revoke a token at once: every worker looks tokens up on each request."""
        missing = f"no token {token_id} of yours"
        with write_transaction(self._sessions) as session:
            accounts = AccountRepo(session)
            token = accounts.token_by_id(token_id)
            owner = accounts.user_by_id(token.user_id) if token else None
            if token is None or owner is None:
                raise NotFound(missing)
            scope = TokenScope(token.index_id, Role(token.role))
            target = Target(user_id=owner.id, token=scope)
            self._access.authorize(principal, Action.REVOKE_TOKEN, target, missing=missing)
            if token.revoked_at is None:
                descendants = accounts.revoke_token(token.id, datetime.now(UTC))
                index = _index_names(session).get(token.index_id)
                also = f" and the tokens made through it: {', '.join(map(str, descendants))}"
                _audit(
                    session,
                    principal,
                    "token.revoke",
                    index=index,
                    target=f"token {token.id}",
                    detail=f"user={owner.name}" + (also if descendants else ""),
                )


def _team(team: TeamInfo) -> Target:
    return Target(members=frozenset(team.members))


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise Invalid("the password is too long: use at most 1024 characters")
    return password


def _holder(user: str | None, team: str | None) -> tuple[str, str]:
    if (user is None) == (team is None):
        raise Invalid("name exactly one of a user or a team")
    return ("user", user) if user is not None else ("team", team or "")


def _expiry(principal: Principal, expires_in: timedelta | None) -> datetime | None:
    """A new token's expiry: as asked, else its creating token's (a token made by a password
    login, or by a token that never expires, never expires unless asked)."""
    if expires_in:
        return datetime.now(UTC) + expires_in
    return principal.token.expires_at if principal.token is not None else None


def _live_parent(accounts: AccountRepo, principal: Principal) -> int | None:
    """The id of the token creating another, locked so a concurrent revocation of it also
    revokes the new one; refused if it was revoked since the request was authenticated."""
    if principal.token is None or principal.token.id is None:
        return None
    parent = accounts.lock_token(principal.token.id)
    if parent is None or parent.revoked_at is not None:
        raise Unauthorized("invalid or revoked API token; create a new one")
    return parent.id


def _token_index(session: Session, owner: UserRow, *, index: str | None, role: Role) -> int | None:
    if index is None:
        return None
    target = IndexRepo(session).get(index)
    held = Role.OWNER if owner.is_admin else AccountRepo(session).roles_of(owner.id).get(target.id)
    if held is None or held < role:
        raise Invalid(
            f"a token's role cannot exceed its user's: {owner.name!r} holds "
            f"{held or 'no role'} on {index!r}; grant a role first"
        )
    return target.id


def _index_names(session: Session) -> dict[int | None, str]:
    return {i.id: i.name for i in IndexRepo(session).list()}


def _user(row: UserRow) -> UserInfo:
    return UserInfo(row.name, row.is_admin, row.created_at)


def _token(row: TokenRow, user: str, index: str | None) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        user=user,
        index=index,
        role=Role(row.role),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    *,
    target: str,
    index: str | None = None,
    detail: str = "",
) -> None:
    AuditRepo(session).add(
        action,
        actor=principal.name,
        index=index,
        target=target,
        detail=detail,
        remote_addr=principal.remote_addr,
    )
