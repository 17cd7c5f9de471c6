"""The one permission decision: (principal, credential, action, target) -> allow or deny.

Every operation of every surface (management API, CLI, upload and read paths, the hot path) is
one ``Action``, and every action is one row of ``RULES``: who may do it (a least role on the
target index, the account's own user, a team's members, the index creators, or admins) and
what a token may do there. A token never does more than it was created for:

- it acts only within its index (if scoped) and with at most its role;
- it never changes a password, and never manages users or teams;
- it creates (or revokes) only tokens no wider, no higher and no longer-lived than itself;
- it creates an index only if it is unscoped, holds ``owner`` (the role its user gets on the new
  index), and its user may create indexes.

>>> alice = Principal(1, "alice", roles={7: Role.OWNER})
>>> allows(alice, Action.GRANT, Target(index_id=7))
True
>>> reader_token = Principal(1, "alice", roles={7: Role.OWNER}, token=TokenScope(None, Role.READER))
>>> allows(reader_token, Action.GRANT, Target(index_id=7))
False
>>> decide(reader_token, Action.CHANGE_OWN_PASSWORD, Target(user_id=1)).reason
'a token cannot change own password; log in with your password'
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from packhouse.domain.roles import Action, Principal, Role, TokenScope

__all__ = [
    "RULES",
    "Action",
    "Credential",
    "Decision",
    "IndexCreators",
    "Rule",
    "Target",
    "Tokens",
    "Who",
    "allows",
    "can",
    "decide",
    "describe",
]


class Credential(enum.StrEnum):
    """How a principal authenticated."""

    PASSWORD = "password"  # noqa: S105 - a name, not a secret
    #: A token for every index its user may use.
    UNSCOPED_TOKEN = "unscoped token"  # noqa: S105 - a name, not a secret
    #: A token limited to one index.
    SCOPED_TOKEN = "index token"  # noqa: S105 - a name, not a secret

    @classmethod
    def of(cls, principal: Principal) -> Credential:
        """
        >>> Credential.of(Principal(1, "a", token=TokenScope(3, Role.READER)))
        <Credential.SCOPED_TOKEN: 'index token'>
        """
        if principal.token is None:
            return cls.PASSWORD
        return cls.UNSCOPED_TOKEN if principal.token.index_id is None else cls.SCOPED_TOKEN


class Who(enum.StrEnum):
    """Who a rule lets act (admins acting with full powers pass every one)."""

    #: Holders of at least ``Rule.role`` on the target index (anyone, to read a public one).
    INDEX = "index role"
    #: The target account's own user.
    SELF = "self"
    #: Members of the target team.
    MEMBER = "member"
    #: Per ``PACKHOUSE_INDEX_CREATORS``: admins only, or every user.
    CREATORS = "creators"
    ADMIN = "admin"


class Tokens(enum.StrEnum):
    """What a token may do under a rule."""

    #: Any token, within its index and up to its role.
    ANY = "any"
    #: Only a token for all of its user's indexes, holding at least ``Rule.role``.
    UNSCOPED = "unscoped"
    #: Only for a target token no wider in scope, no higher in role and expiring no later
    #: than itself.
    NARROWER = "narrower"
    #: Never: a password login only.
    NEVER = "never"


class IndexCreators(enum.StrEnum):
    """``PACKHOUSE_INDEX_CREATORS``: who may create indexes."""

    ADMINS = "admins"
    USERS = "users"


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: who may do an action, and with which credentials."""

    who: Who
    #: The least role on the target index (``Who.INDEX``); for ``Tokens.UNSCOPED``, the least
    #: role of the token too.
    role: Role
    tokens: Tokens
    #: The operation ids of the management API (``/api/v1``) that ask for this action.
    operations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """What an action is done to; only the fields its rule reads matter."""

    index_id: int | None = None
    #: Whether the target index is private (a public one is readable by anyone).
    private: bool = True
    #: The account acted on (``Who.SELF``).
    user_id: int | None = None
    #: The members of the team acted on (``Who.MEMBER``).
    members: frozenset[str] = frozenset()
    #: The token being created or revoked (``Tokens.NARROWER``).
    token: TokenScope | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    #: Why not, in one line; empty when allowed.
    reason: str = ""
    #: Denied because the target is none of the caller's business (not their account, not
    #: their team, no role on a private index): surfaces answer as if it did not exist.
    hidden: bool = False


_ALLOW = Decision(allowed=True)

#: The table. Add a row with every new action (and its API operation ids): the access matrix
#: test is generated from it, and fails for an API operation that no row names.
RULES: Mapping[Action, Rule] = {
    # on an index
    Action.READ: Rule(
        Who.INDEX,
        Role.READER,
        Tokens.ANY,
        (
            "list_indexes",
            "show_index",
            "list_index_versions",
            "diff_index_versions",
            "list_projects",
            "show_project",
        ),
    ),
    Action.UPLOAD: Rule(Who.INDEX, Role.UPLOADER, Tokens.ANY),
    Action.YANK_OWN: Rule(Who.INDEX, Role.UPLOADER, Tokens.ANY, ("yank_release", "unyank_release")),
    Action.YANK: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY, ("yank_release", "unyank_release")),
    Action.DELETE_FILE: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY, ("delete_file",)),
    Action.ROLLBACK: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY, ("rollback_index",)),
    Action.MANAGE_SETTINGS: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY, ("update_index",)),
    Action.READ_AUDIT: Rule(Who.INDEX, Role.OWNER, Tokens.ANY, ("index_audit_log",)),
    Action.LIST_GRANTS: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY, ("list_grants",)),
    Action.GRANT: Rule(
        Who.INDEX,
        Role.OWNER,
        Tokens.ANY,
        ("grant_user", "revoke_user", "grant_team", "revoke_team"),
    ),
    Action.DELETE_INDEX: Rule(Who.INDEX, Role.OWNER, Tokens.ANY, ("delete_index",)),
    Action.UPLOAD_TO_ANY_PROJECT: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY),
    Action.LIST_PROJECT_OWNERS: Rule(
        Who.INDEX, Role.UPLOADER, Tokens.ANY, ("list_project_owners",)
    ),
    Action.MANAGE_PROJECT_OWNERS: Rule(
        Who.INDEX,
        Role.MAINTAINER,
        Tokens.ANY,
        (
            "add_project_owner_user",
            "remove_project_owner_user",
            "add_project_owner_team",
            "remove_project_owner_team",
        ),
    ),
    Action.DELETE_RELEASE: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY, ("delete_release",)),
    Action.DELETE_PROJECT: Rule(Who.INDEX, Role.MAINTAINER, Tokens.ANY, ("delete_project",)),
    # on the server
    Action.CREATE_INDEX: Rule(Who.CREATORS, Role.OWNER, Tokens.UNSCOPED, ("create_index",)),
    Action.LIST_RETIRED_INDEXES: Rule(
        Who.ADMIN, Role.OWNER, Tokens.UNSCOPED, ("list_retired_indexes",)
    ),
    Action.PURGE_INDEX: Rule(Who.ADMIN, Role.OWNER, Tokens.UNSCOPED, ("purge_index",)),
    Action.READ_ALL_AUDIT: Rule(Who.ADMIN, Role.OWNER, Tokens.UNSCOPED, ("audit_log",)),
    # on accounts
    Action.SHOW_USER: Rule(Who.SELF, Role.READER, Tokens.ANY, ("who_am_i", "show_user")),
    Action.LIST_USERS: Rule(Who.ADMIN, Role.OWNER, Tokens.NEVER, ("list_users",)),
    Action.CREATE_USER: Rule(Who.ADMIN, Role.OWNER, Tokens.NEVER, ("create_user",)),
    Action.DELETE_USER: Rule(Who.ADMIN, Role.OWNER, Tokens.NEVER, ("delete_user",)),
    Action.CHANGE_OWN_PASSWORD: Rule(Who.SELF, Role.READER, Tokens.NEVER, ("set_password",)),
    Action.RESET_PASSWORD: Rule(Who.ADMIN, Role.OWNER, Tokens.NEVER, ("set_password",)),
    Action.SHOW_TEAM: Rule(Who.MEMBER, Role.READER, Tokens.UNSCOPED, ("list_teams", "show_team")),
    Action.CREATE_TEAM: Rule(Who.ADMIN, Role.OWNER, Tokens.NEVER, ("create_team",)),
    Action.DELETE_TEAM: Rule(Who.ADMIN, Role.OWNER, Tokens.NEVER, ("delete_team",)),
    Action.MANAGE_TEAM_MEMBERS: Rule(
        Who.ADMIN, Role.OWNER, Tokens.NEVER, ("add_member", "remove_member")
    ),
    Action.CREATE_TOKEN: Rule(Who.SELF, Role.READER, Tokens.NARROWER, ("create_token",)),
    Action.LIST_TOKENS: Rule(Who.SELF, Role.READER, Tokens.UNSCOPED, ("list_tokens",)),
    Action.REVOKE_TOKEN: Rule(Who.SELF, Role.READER, Tokens.NARROWER, ("revoke_token",)),
}


def decide(
    principal: Principal | None,
    action: Action,
    target: Target,
    *,
    creators: IndexCreators = IndexCreators.ADMINS,
) -> Decision:
    """Whether a principal (None: anonymous) may do an action to a target, and why not.

    >>> decide(None, Action.READ, Target(index_id=1, private=False)).allowed
    True
    >>> decide(None, Action.READ, Target(index_id=1)).reason
    'this needs credentials'
    >>> scoped = Principal(1, "a", roles={1: Role.OWNER}, token=TokenScope(1, Role.UPLOADER))
    >>> decide(scoped, Action.CREATE_INDEX, Target(), creators=IndexCreators.USERS).reason
    'only an unscoped owner token can create index; log in with your password'
    >>> wider = Target(user_id=1, token=TokenScope(None, Role.READER))
    >>> decide(scoped, Action.CREATE_TOKEN, wider).reason
    'a token can only create token for one no wider and no higher than itself, expiring no later'
    """
    rule = RULES[action]
    if rule.who is Who.INDEX and action is Action.READ and not target.private:
        return _ALLOW
    if principal is None:
        return Decision(allowed=False, reason="this needs credentials")
    audience = _audience(principal, action, rule, target, creators)
    if audience.hidden:  # none of the caller's business, whatever the credential
        return audience
    refused = _credential_refusal(principal, action, rule, target)
    if refused is not None:
        return Decision(allowed=False, reason=refused)
    return audience


def allows(
    principal: Principal | None,
    action: Action,
    target: Target,
    *,
    creators: IndexCreators = IndexCreators.ADMINS,
) -> bool:
    return decide(principal, action, target, creators=creators).allowed


def can(principal: Principal | None, action: Action, *, index_id: int, private: bool) -> bool:
    """The decision for an action on an index: what the hot path asks per request.

    >>> can(None, Action.READ, index_id=1, private=True)
    False
    >>> can(Principal(1, "a", roles={1: Role.UPLOADER}), Action.UPLOAD, index_id=1, private=True)
    True
    """
    rule = RULES[action]
    if action is Action.READ and not private:
        return True
    if principal is None:
        return False
    if rule.who is not Who.INDEX or (principal.token is not None and rule.tokens is not Tokens.ANY):
        return allows(principal, action, Target(index_id=index_id, private=private))
    role = principal.role_on(index_id)
    return role is not None and role >= rule.role


def _credential_refusal(
    principal: Principal, action: Action, rule: Rule, target: Target
) -> str | None:
    """Why the principal's credential may not do this at all; None if it may."""
    token = principal.token
    if token is None or rule.tokens is Tokens.ANY:
        return None
    if rule.tokens is Tokens.NEVER:
        return f"a token cannot {describe(action)}; log in with your password"
    if rule.tokens is Tokens.UNSCOPED:
        if token.index_id is None and token.role >= rule.role:
            return None
        if rule.role is Role.READER:
            return f"a token limited to one index cannot {describe(action)}; use an unscoped token"
        return (
            f"only an unscoped {rule.role} token can {describe(action)}; log in with your password"
        )
    if target.token is not None and _within(target.token, token):
        return None
    return (
        f"a token can only {describe(action)} for one no wider and no higher than itself, "
        "expiring no later"
    )


def _within(inner: TokenScope, outer: TokenScope) -> bool:
    """Whether a token's scope, role and lifetime lie within another's.

    >>> _within(TokenScope(3, Role.READER), TokenScope(None, Role.UPLOADER))
    True
    >>> _within(TokenScope(None, Role.READER), TokenScope(3, Role.OWNER))
    False
    >>> soon = datetime.fromisoformat("2030-01-01T00:00:00+00:00")
    >>> _within(TokenScope(3, Role.READER), TokenScope(3, Role.READER, expires_at=soon))
    False
    """
    in_scope = outer.index_id is None or inner.index_id == outer.index_id
    return in_scope and inner.role <= outer.role and _expires_by(inner, outer.expires_at)


def _expires_by(token: TokenScope, deadline: datetime | None) -> bool:
    """Whether a token stops working no later than ``deadline`` (None: never)."""
    if deadline is None:
        return True
    return token.expires_at is not None and token.expires_at <= deadline


def _audience(
    principal: Principal, action: Action, rule: Rule, target: Target, creators: IndexCreators
) -> Decision:
    """Whether the principal is among those the rule lets act."""
    if rule.who is Who.INDEX:
        return _index_role(principal, action, rule, target)
    if principal.server_admin:
        return _ALLOW
    if rule.who is Who.SELF:
        if target.user_id == principal.user_id:
            return _ALLOW
        return Decision(
            allowed=False, reason=f"only admins {describe(action)} of others", hidden=True
        )
    if rule.who is Who.MEMBER:
        if principal.name in target.members:
            return _ALLOW
        return Decision(allowed=False, reason=f"only members {describe(action)}", hidden=True)
    if rule.who is Who.CREATORS and creators is IndexCreators.USERS:
        return _ALLOW
    return Decision(allowed=False, reason=f"only admins {describe(action)}")


def _index_role(principal: Principal, action: Action, rule: Rule, target: Target) -> Decision:
    if target.index_id is None:
        raise ValueError(f"{action} needs a target index")
    role = principal.role_on(target.index_id)
    if role is not None and role >= rule.role:
        return _ALLOW
    hidden = target.private and role is None
    reason = f"{principal.name!r} may not {describe(action)} here: it needs the {rule.role} role"
    return Decision(allowed=False, reason=reason, hidden=hidden)


def describe(action: Action) -> str:
    """An action in words, for messages.

    >>> describe(Action.CREATE_INDEX)
    'create index'
    """
    return str(action).replace("-", " ")
