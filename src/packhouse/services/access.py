"""The one permission check, used by every HTTP route and CLI command."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from packhouse.db.indexes import IndexRepo
from packhouse.domain.model import Index
from packhouse.domain.roles import Action, Principal, can
from packhouse.errors import Forbidden, NotFound, Unauthorized


class AccessService:
    """Finds an index and decides whether a principal may act on it."""

    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def index(self, name: str) -> Index:
        with self._sessions() as session:
            return IndexRepo(session).get(name)

    def require(self, principal: Principal | None, action: Action, index_name: str) -> Index:
        index = self.index(index_name)
        self.check(principal, action, index)
        return index

    @staticmethod
    def allows(principal: Principal | None, action: Action, index: Index) -> bool:
        return can(principal, action, index_id=index.id, private=index.private)

    @staticmethod
    def check(principal: Principal | None, action: Action, index: Index) -> None:
        """Raise ``Unauthorized`` for anonymous callers, ``Forbidden`` for known ones.

        A private index is invisible to callers who may not read it: anonymous callers are
        asked for credentials (401, so pip and uv send them), known strangers get 404.
        """
        if can(principal, action, index_id=index.id, private=index.private):
            return
        if (
            principal is not None
            and index.private
            and not can(principal, Action.READ, index_id=index.id, private=True)
        ):
            raise NotFound(
                f"no index named {index.name!r}; `packhouse index list` shows the indexes"
            )
        if principal is None:
            raise Unauthorized(
                f"index {index.name!r} needs credentials to {action}: "
                "log in with your user name and password, or __token__ and an API token"
            )
        raise Forbidden(
            f"{principal.name!r} may not {action} on index {index.name!r}; "
            "ask an owner of the index for a role"
        )
