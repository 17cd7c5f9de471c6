"""Roles, actions and principals; ``domain/policy.py`` decides who may do what."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


class Role(enum.IntEnum):
    """Roles on an index, ordered: each includes the ones below it."""

    READER = 1
    UPLOADER = 2
    MAINTAINER = 3
    OWNER = 4

    @classmethod
    def parse(cls, value: str) -> Role:
        """Parse a role name.

        >>> Role.parse("uploader")
        <Role.UPLOADER: 2>
        """
        from packhouse.errors import Invalid

        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(role.name.lower() for role in cls)
            raise Invalid(f"unknown role {value!r}: use one of {names}") from None

    def __str__(self) -> str:
        return self.name.lower()


class Action(enum.StrEnum):
    """Everything a principal may be allowed to do; ``domain/policy.RULES`` has a row for each."""

    # on an index
    READ = "read"
    UPLOAD = "upload"
    #: Yank or un-yank a release of a project the principal has uploaded to.
    YANK_OWN = "yank-own"
    YANK = "yank"
    DELETE_FILE = "delete-file"
    ROLLBACK = "rollback"
    MANAGE_SETTINGS = "manage-settings"
    READ_AUDIT = "read-audit"
    LIST_GRANTS = "list-grants"
    GRANT = "grant"
    DELETE_INDEX = "delete-index"
    #: Upload to a project of the index whatever its owners (``ProjectOwnership``).
    UPLOAD_TO_ANY_PROJECT = "upload-to-any-project"
    LIST_PROJECT_OWNERS = "list-project-owners"
    MANAGE_PROJECT_OWNERS = "manage-project-owners"
    DELETE_RELEASE = "delete-release"
    DELETE_PROJECT = "delete-project"
    # on the server
    CREATE_INDEX = "create-index"
    LIST_RETIRED_INDEXES = "list-retired-indexes"
    PURGE_INDEX = "purge-index"
    READ_ALL_AUDIT = "read-all-audit"
    # on accounts
    SHOW_USER = "show-user"
    LIST_USERS = "list-users"
    CREATE_USER = "create-user"
    DELETE_USER = "delete-user"
    CHANGE_OWN_PASSWORD = "change-own-password"  # noqa: S105 - a name, not a secret
    RESET_PASSWORD = "reset-password"  # noqa: S105 - a name, not a secret
    SHOW_TEAM = "show-team"
    CREATE_TEAM = "create-team"
    DELETE_TEAM = "delete-team"
    MANAGE_TEAM_MEMBERS = "manage-team-members"
    CREATE_TOKEN = "create-token"  # noqa: S105 - a name, not a secret
    LIST_TOKENS = "list-tokens"
    REVOKE_TOKEN = "revoke-token"  # noqa: S105 - a name, not a secret


@dataclass(frozen=True, slots=True)
class TokenScope:
    """What an API token limits its owner to: one index (or all) and a role ceiling."""

    #: The index the token works on; None for every index its owner may use.
    index_id: int | None
    role: Role
    #: When the token stops working; None for never.
    expires_at: datetime | None = None
    #: The token's row id; None for a token not created yet.
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user, possibly acting through a token."""

    user_id: int
    name: str
    is_admin: bool = False
    #: The user's best role on each index, from direct and team grants.
    roles: Mapping[int, Role] = field(default_factory=dict)
    #: Set when the caller authenticated with an API token.
    token: TokenScope | None = None
    #: Where the request came from (``cli`` for the server's own CLI), for the audit log.
    remote_addr: str | None = None

    @property
    def server_admin(self) -> bool:
        """An admin acting with full powers: by password, or by an unscoped owner token.

        >>> Principal(1, "a", is_admin=True, token=TokenScope(7, Role.READER)).server_admin
        False
        """
        if not self.is_admin:
            return False
        return self.token is None or (self.token.index_id is None and self.token.role is Role.OWNER)

    def role_on(self, index_id: int) -> Role | None:
        """The effective role on an index, capped by the token's scope.

        >>> p = Principal(1, "a", roles={7: Role.OWNER}, token=TokenScope(7, Role.UPLOADER))
        >>> p.role_on(7), p.role_on(8)
        (<Role.UPLOADER: 2>, None)
        """
        role = Role.OWNER if self.is_admin else self.roles.get(index_id)
        if self.token is not None:
            if self.token.index_id is not None and self.token.index_id != index_id:
                return None
            if role is not None:
                role = min(role, self.token.role)
        return role


#: The server's operator, acting through the CLI on the server's own configuration.
OPERATOR = Principal(user_id=0, name="operator", is_admin=True, remote_addr="cli")
