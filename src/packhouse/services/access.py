"""The one permission check, used by every HTTP route and CLI command: it asks the policy."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session, sessionmaker

from packhouse.db.indexes import IndexRepo
from packhouse.db.state import IndexState
from packhouse.domain.model import Index
from packhouse.domain.policy import IndexCreators, Target, can, decide, describe
from packhouse.domain.roles import Action, Principal
from packhouse.errors import Forbidden, NotFound, Unauthorized


class AccessService:
    """Finds an index and decides whether a principal may act on it."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        index_creators: IndexCreators = IndexCreators.ADMINS,
    ) -> None:
        self._sessions = sessions
        self._creators = index_creators
        #: Indexes as last read, by name; only trusted for the id a fresh state read shows.
        self._known: dict[str, Index] = {}

    def index(self, name: str) -> Index:
        with self._sessions() as session:
            index = IndexRepo(session).get(name)
        if len(self._known) >= 10_000:
            self._known.clear()
        self._known[name] = index
        return index

    def known(self, name: str, state: IndexState) -> Index | None:
        """The index as last read, refreshed from a state read just made; None if not known.

        An index's id, name and kind never change, so a remembered index with the state's id
        is current once its privacy and version are taken from the state.
        """
        index = self._known.get(name)
        if index is None or index.id != state.id:
            return None
        return replace(index, private=state.private, version=state.version)

    def require(self, principal: Principal | None, action: Action, index_name: str) -> Index:
        index = self.index(index_name)
        self.check(principal, action, index)
        return index

    def permits(self, principal: Principal | None, action: Action, target: Target) -> bool:
        """Whether the policy allows an action on a target that is not (only) an index."""
        return decide(principal, action, target, creators=self._creators).allowed

    def authorize(
        self,
        principal: Principal | None,
        action: Action,
        target: Target,
        *,
        missing: str | None = None,
    ) -> None:
        """Raise unless the policy allows it: ``NotFound(missing)`` when the target is none of
        the caller's business (and ``missing`` is given), else ``Unauthorized``/``Forbidden``."""
        decision = decide(principal, action, target, creators=self._creators)
        if decision.allowed:
            return
        if principal is None:
            raise Unauthorized(
                f"{decision.reason}: log in with your user name and password, "
                "or __token__ and an API token"
            )
        if decision.hidden and missing is not None:
            raise NotFound(missing)
        raise Forbidden(decision.reason)

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
            raise NotFound(f"no index named {index.name!r}; check the name")
        if principal is None:
            raise Unauthorized(
                f"index {index.name!r} needs credentials to {describe(action)}: "
                "log in with your user name and password, or __token__ and an API token"
            )
        raise Forbidden(
            f"{principal.name!r} may not {describe(action)} on index {index.name!r}; "
            "ask an owner of the index for a role"
        )
