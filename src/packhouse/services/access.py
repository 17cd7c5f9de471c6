"""The one permission check, used by every HTTP route and CLI command."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from packhouse.db.indexes import IndexRepo
from packhouse.domain.model import Index
from packhouse.domain.roles import Action, Principal, can
from packhouse.errors import Forbidden, Unauthorized


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
    def check(principal: Principal | None, action: Action, index: Index) -> None:
        """Raise ``Unauthorized`` for anonymous callers, ``Forbidden`` for known ones."""
        if can(principal, action, index_id=index.id, private=index.private):
            return
        if principal is None:
            raise Unauthorized(
                f"index {index.name!r} needs credentials to {action}: "
                "log in with your user name and password, or __token__ and an API token"
            )
        raise Forbidden(
            f"{principal.name!r} may not {action} on index {index.name!r}; "
            "ask an owner of the index for a role"
        )
