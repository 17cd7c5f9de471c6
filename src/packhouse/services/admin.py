"""Index, user, grant and token operations shared by the CLI and the REST API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from packaging.version import InvalidVersion, Version
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from packhouse.db.accounts import AccountRepo
from packhouse.db.indexes import IndexRepo
from packhouse.domain.model import Index, IndexKind, IndexVersion
from packhouse.domain.names import parse_index_name, parse_project_name, parse_user_name
from packhouse.domain.roles import Action, Principal, Role
from packhouse.errors import Conflict, Forbidden, Invalid
from packhouse.services.access import AccessService
from packhouse.services.auth import AuthService, new_token_secret, token_hash
from packhouse.services.versions import Change, VersionService

#: The server's operator, acting through the CLI on the server's own configuration.
OPERATOR = Principal(user_id=0, name="operator", is_admin=True)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: int
    #: The secret, shown once; only its hash is kept.
    secret: str
    expires_at: datetime | None


class AdminService:
    """Management operations; each checks permissions through the one AccessService."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        access: AccessService,
        versions: VersionService,
        auth: AuthService,
    ) -> None:
        self._sessions = sessions
        self._access = access
        self._versions = versions
        self._auth = auth

    # indexes

    def create_index(
        self, principal: Principal, name: str, *, kind: IndexKind, private: bool
    ) -> Index:
        index_name = parse_index_name(name)
        if kind is not IndexKind.HOSTED:
            raise Invalid(f"{kind} indexes are not supported yet; create a hosted index")
        try:
            with self._sessions() as session, session.begin():
                index = IndexRepo(session).add(index_name, kind=kind, private=private)
                if principal.user_id != OPERATOR.user_id:
                    AccountRepo(session).set_grant(index.id, Role.OWNER, user_id=principal.user_id)
        except IntegrityError:
            raise Conflict(f"an index named {name!r} already exists") from None
        return index

    def list_indexes(self) -> Sequence[Index]:
        with self._sessions() as session:
            return IndexRepo(session).list()

    def show_index(self, principal: Principal | None, name: str) -> Index:
        return self._access.require(principal, Action.READ, name)

    def index_versions(self, principal: Principal | None, name: str) -> Sequence[IndexVersion]:
        index = self._access.require(principal, Action.READ, name)
        with self._sessions() as session:
            return IndexRepo(session).versions(index.id)

    def delete_index(self, principal: Principal, name: str) -> None:
        index = self._access.require(principal, Action.DELETE_INDEX, name)
        with self._sessions() as session, session.begin():
            IndexRepo(session).remove(index.id)

    # changes that make index versions

    def rollback(self, principal: Principal, name: str, version: int) -> Change:
        index = self._access.require(principal, Action.ROLLBACK, name)
        with self._versions.begin(index, action="rollback", actor=principal.name) as draft:
            draft.restore(version)
            draft.summary = f"rollback to version {version}"
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    def yank(
        self, principal: Principal, name: str, project: str, version: str, *, reason: str
    ) -> Change:
        index = self._access.require(principal, Action.YANK, name)
        release = _release(project, version)
        with self._versions.begin(index, action="yank", actor=principal.name) as draft:
            draft.yank(*release, reason=reason)
            draft.summary = f"yank {release[0]} {release[1]}"
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    def unyank(self, principal: Principal, name: str, project: str, version: str) -> Change:
        index = self._access.require(principal, Action.YANK, name)
        release = _release(project, version)
        with self._versions.begin(index, action="unyank", actor=principal.name) as draft:
            draft.unyank(*release)
            draft.summary = f"unyank {release[0]} {release[1]}"
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    def delete_file(self, principal: Principal, name: str, filename: str) -> Change:
        index = self._access.require(principal, Action.DELETE_FILE, name)
        with self._versions.begin(index, action="delete", actor=principal.name) as draft:
            draft.remove_file(filename)
            draft.summary = f"delete {filename}"
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    # accounts

    def create_user(self, name: str, *, password: str | None, admin: bool) -> None:
        user_name = parse_user_name(name)
        if password is not None and len(password) < 8:
            raise Invalid("the password is too short: use at least 8 characters")
        password_hash = self._auth.hash_password(password) if password else None
        try:
            with self._sessions() as session, session.begin():
                AccountRepo(session).add_user(
                    user_name, password_hash=password_hash, is_admin=admin
                )
        except IntegrityError:
            raise Conflict(f"a user named {name!r} already exists") from None

    def grant(self, principal: Principal, role: Role, *, index: str, user: str) -> None:
        target = self._access.require(principal, Action.GRANT, index)
        with self._sessions() as session, session.begin():
            accounts = AccountRepo(session)
            accounts.set_grant(target.id, role, user_id=accounts.get_user(user).id)

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
        if not principal.is_admin and principal.name != user:
            raise Forbidden("you can only create tokens for yourself")
        secret = new_token_secret()
        expires_at = datetime.now(UTC) + expires_in if expires_in else None
        with self._sessions() as session, session.begin():
            accounts = AccountRepo(session)
            owner = accounts.get_user(user)
            index_id = self._token_index(
                session, owner.id, is_admin=owner.is_admin, index=index, role=role
            )
            row = accounts.add_token(
                owner.id,
                index_id=index_id,
                role=role,
                name=name,
                secret_sha256=token_hash(secret),
                expires_at=expires_at,
            )
            return IssuedToken(row.id, secret, expires_at)

    @staticmethod
    def _token_index(
        session: Session, user_id: int, *, is_admin: bool, index: str | None, role: Role
    ) -> int | None:
        if index is None:
            return None
        target = IndexRepo(session).get(index)
        held = Role.OWNER if is_admin else AccountRepo(session).roles_of(user_id).get(target.id)
        if held is None or held < role:
            raise Invalid(
                f"a token's role cannot exceed its user's: the user holds "
                f"{held or 'no role'} on {index!r}; grant a role first"
            )
        return target.id


def _release(project: str, version: str) -> tuple[str, str]:
    try:
        return parse_project_name(project), str(Version(version))
    except InvalidVersion:
        raise Invalid(f"invalid version {version!r}: see PEP 440") from None


def _change(number: int, *, discarded: bool, summary: str) -> Change:
    return Change(version=None if discarded else number, summary=summary)
