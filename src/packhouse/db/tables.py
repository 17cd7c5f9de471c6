"""SQLAlchemy rows; no behaviour. Membership rows carry ``added_in``/``removed_in`` versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - SQLAlchemy's signature
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


IntPK = Annotated[int, mapped_column(Integer, primary_key=True, autoincrement=True)]
Timestamp = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow)]
OptionalTimestamp = Annotated[datetime | None, mapped_column(UTCDateTime(), nullable=True)]
IndexFK = Annotated[int, mapped_column(ForeignKey("indexes.id", ondelete="CASCADE"))]
Sha256 = Annotated[str, mapped_column(String(64))]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Table options for rows whose ids name things in caches and URLs: never reused on SQLite.
NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IndexRow(Base):
    __tablename__ = "indexes"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The current (newest) index version.
    version: Mapped[int] = mapped_column(Integer, default=0)
    upstream: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[Timestamp]
    #: ``first-uploader`` or ``open`` (``ProjectOwnership``); indexes made before the setting
    #: existed are ``open``, new ones get what their creator chose.
    project_ownership: Mapped[str] = mapped_column(String(16), server_default="open")


class IndexVersionRow(Base):
    __tablename__ = "index_versions"
    __table_args__ = (UniqueConstraint("index_id", "number", name="uq_index_versions_number"),)

    id: Mapped[IntPK]
    index_id: Mapped[IndexFK]
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[Timestamp]
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")


class RetiredIndexNameRow(Base):
    """The name of a deleted index: never reused (so no version URL changes content) unless an
    admin purges it."""

    __tablename__ = "retired_index_names"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    retired_at: Mapped[Timestamp]
    #: Who deleted the index.
    retired_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DistributionRow(Base):
    """A file's content and what was read from it; shared by every index that holds it."""

    __tablename__ = "distributions"
    __table_args__ = (UniqueConstraint("sha256", "filename", name="uq_distributions_content"),)

    id: Mapped[IntPK]
    sha256: Mapped[Sha256]
    filename: Mapped[str] = mapped_column(String(255))
    project: Mapped[str] = mapped_column(String(255))
    #: The project name as its metadata spells it.
    display_name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    blake2_256: Mapped[str] = mapped_column(String(64))
    requires_python: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    metadata_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[Timestamp]


class IndexFileRow(Base):
    """A file's membership in an index between two versions (``removed_in`` excluded)."""

    __tablename__ = "index_files"
    __table_args__ = (
        # removed_in too, so the page queries are answered from the index alone
        Index("ix_index_files_page", "index_id", "project", "added_in", "removed_in"),
        Index("ix_index_files_filename", "index_id", "filename"),
        Index("ix_index_files_live", "index_id", "removed_in"),
        Index("ix_index_files_file_key", "index_id", "file_key"),
    )

    id: Mapped[IntPK]
    index_id: Mapped[IndexFK]
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"))
    filename: Mapped[str] = mapped_column(String(255))
    project: Mapped[str] = mapped_column(String(255))
    #: The release: the version in PEP 440 canonical form (``1.0`` and ``1.0.0`` are ``1``).
    version: Mapped[str] = mapped_column(String(128))
    #: sha256 hex of the normalized filename (``DistFilename.key``): one file per key in an
    #: index (the normalized form itself, with its expanded tag set, can exceed any length).
    file_key: Mapped[str] = mapped_column(String(64), server_default="")
    added_in: Mapped[int] = mapped_column(Integer)
    removed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uploaded_at: Mapped[Timestamp]
    uploader: Mapped[str | None] = mapped_column(String(64), nullable=True)


class IndexProjectRow(Base):
    """A project's membership in an index: the versions in which it has at least one live file.

    One row per maximal interval (``removed_in`` excluded), so the root page is one covering
    index scan instead of a DISTINCT over every file.
    """

    __tablename__ = "index_projects"
    __table_args__ = (
        # every column the root page reads, in its order: answered from the index alone
        Index("ix_index_projects_page", "index_id", "project", "added_in", "removed_in"),
        # at most one open row per project; a draft's "is it live now" lookup
        Index(
            "ix_index_projects_open",
            "index_id",
            "project",
            unique=True,
            sqlite_where=text("removed_in IS NULL"),
            postgresql_where=text("removed_in IS NULL"),
        ),
    )

    id: Mapped[IntPK]
    index_id: Mapped[IndexFK]
    #: The normalized project name.
    project: Mapped[str] = mapped_column(String(255))
    added_in: Mapped[int] = mapped_column(Integer)
    removed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ProjectOwnerRow(Base):
    """A user or a team that owns a project name in an index (see ``ProjectOwnership``)."""

    __tablename__ = "project_owners"
    __table_args__ = (
        UniqueConstraint("index_id", "project", "user_id", name="uq_project_owners_user"),
        UniqueConstraint("index_id", "project", "team_id", name="uq_project_owners_team"),
    )

    id: Mapped[IntPK]
    index_id: Mapped[IndexFK]
    #: The normalized project name.
    project: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[Timestamp]


class YankRow(Base):
    """A release yanked (PEP 592) between two versions."""

    __tablename__ = "index_yanks"
    __table_args__ = (Index("ix_index_yanks_page", "index_id", "project", "added_in"),)

    id: Mapped[IntPK]
    index_id: Mapped[IndexFK]
    project: Mapped[str] = mapped_column(String(255))
    #: The release version in PEP 440 canonical form (``canonicalize_version``).
    version: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")
    added_in: Mapped[int] = mapped_column(Integer)
    removed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[Timestamp]


class TeamRow(Base):
    __tablename__ = "teams"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[Timestamp]


class TeamMemberRow(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_team_members_pair"),)

    id: Mapped[IntPK]
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class GrantRow(Base):
    """A role on an index, held by a user or by a team."""

    __tablename__ = "grants"
    __table_args__ = (
        UniqueConstraint("index_id", "user_id", name="uq_grants_user"),
        UniqueConstraint("index_id", "team_id", name="uq_grants_team"),
    )

    id: Mapped[IntPK]
    index_id: Mapped[IndexFK]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True
    )
    role: Mapped[int] = mapped_column(Integer)


class TokenRow(Base):
    """An API token; only the SHA-256 of its secret is kept."""

    __tablename__ = "tokens"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    index_id: Mapped[int | None] = mapped_column(
        ForeignKey("indexes.id", ondelete="CASCADE"), nullable=True
    )
    role: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128), default="")
    secret_sha256: Mapped[Sha256] = mapped_column(unique=True)
    created_at: Mapped[Timestamp]
    expires_at: Mapped[OptionalTimestamp]
    last_used_at: Mapped[OptionalTimestamp]
    revoked_at: Mapped[OptionalTimestamp]
    #: The token that created this one (revoking it revokes this one); None if made otherwise.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tokens.id", ondelete="SET NULL"), nullable=True, index=True
    )


class AuditRow(Base):
    """One recorded change or security event: who, what, when, from where."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_index", "index_name", "id"),)

    id: Mapped[IntPK]
    at: Mapped[Timestamp]
    #: The user name (or ``operator`` for the server's CLI); None for anonymous callers.
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: What happened, e.g. ``upload``, ``grant``, ``token.revoke``, ``login.failed``.
    action: Mapped[str] = mapped_column(String(64))
    index_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: What it happened to, e.g. a filename, a user name, a token id.
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    #: The client's address, or ``cli``.
    remote_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuthGenerationRow(Base):
    """One row, bumped by every change that could make a cached credential wrong.

    Workers and replicas cache verified credentials keyed by this value, and read it with the
    index state they look up anyway, so a revocation or a password change is seen at once.
    """

    __tablename__ = "auth_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
