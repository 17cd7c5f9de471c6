"""The policy table's invariants, for every action, credential and role (no server needed)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from packhouse.domain.policy import (
    RULES,
    Credential,
    IndexCreators,
    Target,
    Tokens,
    Who,
    allows,
    can,
    decide,
)
from packhouse.domain.roles import Action, Principal, Role, TokenScope

INDEX, ELSEWHERE, ME, SOMEONE = 1, 2, 10, 11
SCOPES = [None, INDEX, ELSEWHERE]
HELD = [None, *Role]


def principals() -> list[Principal]:
    """Every user shape: admin or not, a role on the index or none, and every token over it."""
    found = []
    for admin, held in itertools.product((False, True), HELD):
        roles = {} if held is None else {INDEX: held, ELSEWHERE: held}
        user = Principal(ME, "me", is_admin=admin, roles=roles)
        found.append(user)
        for scope, role in itertools.product(SCOPES, Role):
            found.append(
                Principal(ME, "me", is_admin=admin, roles=roles, token=TokenScope(scope, role))
            )
    return found


def targets() -> list[Target]:
    tokens = [None, *(TokenScope(s, r) for s in SCOPES for r in Role)]
    return [
        Target(index_id=INDEX, private=private, user_id=user, members=members, token=token)
        for private in (True, False)
        for user in (ME, SOMEONE)
        for members in (frozenset({"me"}), frozenset({"else"}))
        for token in tokens
    ]


PRINCIPALS, TARGETS = principals(), targets()


def password_of(principal: Principal) -> Principal:
    return Principal(
        principal.user_id, principal.name, is_admin=principal.is_admin, roles=principal.roles
    )


def test_every_action_has_one_row() -> None:
    assert set(RULES) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("creators", list(IndexCreators))
def test_a_token_never_does_more_than_its_users_password(
    action: Action, creators: IndexCreators
) -> None:
    for principal, target in itertools.product(PRINCIPALS, TARGETS):
        if principal.token is not None and allows(principal, action, target, creators=creators):
            assert allows(password_of(principal), action, target, creators=creators)


@pytest.mark.parametrize("action", [a for a in Action if RULES[a].who is Who.INDEX])
def test_a_token_acts_within_its_index_and_up_to_its_role(action: Action) -> None:
    for principal, target in itertools.product(PRINCIPALS, TARGETS):
        token = principal.token
        if token is None or not allows(principal, action, target):
            continue
        if action is Action.READ and not target.private:
            continue  # public reads need nothing
        assert token.index_id in (None, target.index_id)
        assert token.role >= RULES[action].role


@pytest.mark.parametrize("action", [a for a in Action if RULES[a].tokens is Tokens.NEVER])
def test_password_only_actions_refuse_every_token(action: Action) -> None:
    for principal, target in itertools.product(PRINCIPALS, TARGETS):
        if principal.token is not None:
            assert not allows(principal, action, target)


def test_tokens_create_and_revoke_only_tokens_within_themselves() -> None:
    for action in (Action.CREATE_TOKEN, Action.REVOKE_TOKEN):
        for principal, target in itertools.product(PRINCIPALS, TARGETS):
            token, made = principal.token, target.token
            if token is None or not allows(principal, action, target):
                continue
            assert made is not None
            assert made.role <= token.role
            assert token.index_id is None or made.index_id == token.index_id


def test_no_token_changes_a_password_or_manages_accounts() -> None:
    accounts = [
        Action.CHANGE_OWN_PASSWORD,
        Action.RESET_PASSWORD,
        Action.CREATE_USER,
        Action.DELETE_USER,
        Action.LIST_USERS,
        Action.CREATE_TEAM,
        Action.DELETE_TEAM,
        Action.MANAGE_TEAM_MEMBERS,
    ]
    assert all(RULES[a].tokens is Tokens.NEVER for a in accounts)


def test_only_unscoped_owner_tokens_of_permitted_creators_create_indexes() -> None:
    for principal, creators in itertools.product(PRINCIPALS, IndexCreators):
        allowed = allows(principal, Action.CREATE_INDEX, Target(), creators=creators)
        credential = Credential.of(principal)
        may_create = principal.is_admin or creators is IndexCreators.USERS
        token_ok = credential is Credential.PASSWORD or (
            credential is Credential.UNSCOPED_TOKEN
            and principal.token is not None
            and principal.token.role is Role.OWNER
        )
        assert allowed == (may_create and token_ok), (principal, creators)


def test_can_agrees_with_decide_on_index_actions() -> None:
    """The hot path's shortcut answers as the full decision does."""
    for action in (a for a in Action if RULES[a].who is Who.INDEX):
        for principal, private in itertools.product([None, *PRINCIPALS], (True, False)):
            full = decide(principal, action, Target(index_id=INDEX, private=private)).allowed
            assert can(principal, action, index_id=INDEX, private=private) == full


def test_strangers_to_a_private_index_are_told_nothing() -> None:
    stranger = Principal(ME, "me", roles={ELSEWHERE: Role.OWNER})
    decision = decide(stranger, Action.READ, Target(index_id=INDEX, private=True))
    assert (decision.allowed, decision.hidden) == (False, True)
    reader = Principal(ME, "me", roles={INDEX: Role.READER})
    decision = decide(reader, Action.GRANT, Target(index_id=INDEX, private=True))
    assert (decision.allowed, decision.hidden) == (False, False)


SOON = datetime(2030, 1, 1, tzinfo=UTC)
LATER = SOON + timedelta(days=1)


@pytest.mark.parametrize("action", [Action.CREATE_TOKEN, Action.REVOKE_TOKEN])
def test_a_token_that_expires_handles_only_tokens_that_expire_no_later(action: Action) -> None:
    def scoped(expires_at: datetime | None) -> TokenScope:
        return TokenScope(INDEX, Role.READER, expires_at=expires_at)

    def may(token: TokenScope, made: TokenScope) -> bool:
        principal = Principal(ME, "me", roles={INDEX: Role.OWNER}, token=token)
        return allows(principal, action, Target(user_id=ME, token=made))

    assert may(scoped(SOON), scoped(SOON))
    assert may(scoped(LATER), scoped(SOON))
    assert not may(scoped(SOON), scoped(LATER))
    assert not may(scoped(SOON), scoped(None))  # never expiring is the latest of all
    assert may(scoped(None), scoped(None))
    assert may(scoped(None), scoped(LATER))


@pytest.mark.parametrize("action", [Action.CREATE_TOKEN, Action.REVOKE_TOKEN, Action.LIST_TOKENS])
def test_anothers_tokens_are_hidden_from_any_token_whatever_its_scope(action: Action) -> None:
    """Hidden is decided first: no 403-or-404 difference tells a token about others' tokens."""
    for principal in PRINCIPALS:
        if principal.token is None or principal.server_admin:
            continue
        for made in (TokenScope(None, Role.OWNER), TokenScope(INDEX, Role.READER)):
            decision = decide(principal, action, Target(user_id=SOMEONE, token=made))
            assert (decision.allowed, decision.hidden) == (False, True), (principal, made)
