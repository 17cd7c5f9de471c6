"""Pydantic input and output models of the management API."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from packhouse.db.projects import Holder
from packhouse.domain.model import AuditEntry, Index, IndexVersion, ProjectOwnership
from packhouse.services.accounts import Grant, TeamInfo, TokenInfo, UserInfo
from packhouse.services.indexes import ProjectFiles, RetiredName, VersionDiff

T = TypeVar("T")

#: Ids and version numbers are 32-bit in the database.
MAX_ID = 2**31 - 1

RoleName = Literal["reader", "uploader", "maintainer", "owner"]
IndexNameStr = str


class Strict(BaseModel):
    """Request bodies: unknown keys are refused; numbers are never taken from booleans."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    detail: str


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


ProjectOwnershipName = Literal["first-uploader", "open"]


class IndexIn(Strict):
    name: str = Field(min_length=1, max_length=64, examples=["team-a"])
    kind: Literal["hosted"] = "hosted"
    private: bool = False
    #: Who may upload to a project another uploader started (see ``ProjectOwnership``).
    project_ownership: ProjectOwnershipName = "first-uploader"


class IndexUpdate(Strict):
    private: bool | None = None
    project_ownership: ProjectOwnershipName | None = None


class IndexOut(BaseModel):
    name: str
    kind: str
    private: bool
    #: The current index version.
    version: int
    created_at: datetime
    project_ownership: ProjectOwnershipName

    @classmethod
    def of(cls, index: Index) -> IndexOut:
        return cls(
            name=index.name,
            kind=index.kind.value,
            private=index.private,
            version=index.version,
            created_at=index.created_at,
            project_ownership=(
                "open" if index.project_ownership is ProjectOwnership.OPEN else "first-uploader"
            ),
        )


class RetiredIndexOut(BaseModel):
    name: str
    retired_at: datetime
    retired_by: str | None

    @classmethod
    def of(cls, retired: RetiredName) -> RetiredIndexOut:
        return cls(name=retired.name, retired_at=retired.retired_at, retired_by=retired.retired_by)


class IndexVersionOut(BaseModel):
    number: int
    created_at: datetime
    action: str
    actor: str | None
    summary: str

    @classmethod
    def of(cls, version: IndexVersion) -> IndexVersionOut:
        return cls(
            number=version.number,
            created_at=version.created_at,
            action=version.action,
            actor=version.actor,
            summary=version.summary,
        )


class VersionDiffOut(BaseModel):
    old: int
    new: int
    added: list[str]
    removed: list[str]
    yanked: list[str]
    unyanked: list[str]

    @classmethod
    def of(cls, diff: VersionDiff) -> VersionDiffOut:
        return cls(
            old=diff.old,
            new=diff.new,
            added=list(diff.added),
            removed=list(diff.removed),
            yanked=list(diff.yanked),
            unyanked=list(diff.unyanked),
        )


class RollbackIn(Strict):
    version: int = Field(ge=0, le=MAX_ID, strict=True)


class ChangeOut(BaseModel):
    #: The index version the change made; null when nothing changed.
    version: int | None
    summary: str


class FileOut(BaseModel):
    filename: str
    version: str
    sha256: str
    size: int
    kind: str
    requires_python: str | None
    uploaded_at: datetime
    yanked: bool
    yanked_reason: str | None


class ProjectOut(BaseModel):
    name: str
    versions: list[str]
    files: list[FileOut]

    @classmethod
    def of(cls, project: ProjectFiles) -> ProjectOut:
        files = [
            FileOut(
                filename=f.filename,
                version=f.version,
                sha256=f.sha256,
                size=f.size,
                kind=f.kind,
                requires_python=f.requires_python,
                uploaded_at=f.uploaded_at,
                yanked=f.release in project.yanked,
                yanked_reason=project.yanked.get(f.release) or None,
            )
            for f in project.files
        ]
        versions = sorted({f.version for f in project.files})
        return cls(name=project.name, versions=versions, files=files)


class OwnerOut(BaseModel):
    """An owner of a project: a user or a team."""

    kind: Literal["user", "team"]
    name: str

    @classmethod
    def of(cls, holder: Holder) -> OwnerOut:
        return cls(kind="user" if holder.kind == "user" else "team", name=holder.name)


class YankIn(Strict):
    reason: str = Field(default="", max_length=1000)


class UserIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    admin: bool = False


class PasswordIn(Strict):
    password: str = Field(min_length=8, max_length=1024)
    #: The password being replaced: needed to change one's own (not when an admin resets
    #: someone else's).
    current_password: str | None = Field(default=None, max_length=1024)


class UserOut(BaseModel):
    name: str
    admin: bool
    created_at: datetime

    @classmethod
    def of(cls, user: UserInfo) -> UserOut:
        return cls(name=user.name, admin=user.is_admin, created_at=user.created_at)


class TeamIn(Strict):
    name: str = Field(min_length=1, max_length=64)


class TeamOut(BaseModel):
    name: str
    members: list[str]

    @classmethod
    def of(cls, team: TeamInfo) -> TeamOut:
        return cls(name=team.name, members=list(team.members))


class GrantIn(Strict):
    role: RoleName


class GrantOut(BaseModel):
    index: str
    kind: Literal["user", "team"]
    name: str
    role: RoleName

    @classmethod
    def of(cls, grant: Grant) -> GrantOut:
        return cls(
            index=grant.index,
            kind="user" if grant.kind == "user" else "team",
            name=grant.name,
            role=_role_name(str(grant.role)),
        )


class TokenIn(Strict):
    name: str = Field(default="", max_length=128)
    #: The index the token is limited to; null for all of its user's indexes.
    index: str | None = None
    role: RoleName = "uploader"
    expires_days: int | None = Field(default=None, ge=1, le=3650, strict=True)


class TokenOut(BaseModel):
    id: int
    name: str
    user: str
    index: str | None
    role: RoleName
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def of(cls, token: TokenInfo) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            user=token.user,
            index=token.index,
            role=_role_name(str(token.role)),
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked=token.revoked_at is not None,
        )


class NewTokenOut(TokenOut):
    #: The token itself: shown once, never again.
    token: str


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str | None
    action: str
    index: str | None
    target: str
    detail: str
    remote_addr: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            index=entry.index,
            target=entry.target,
            detail=entry.detail,
            remote_addr=entry.remote_addr,
        )


def _role_name(value: str) -> RoleName:
    names: dict[str, RoleName] = {
        "reader": "reader",
        "uploader": "uploader",
        "maintainer": "maintainer",
        "owner": "owner",
    }
    return names[value]
