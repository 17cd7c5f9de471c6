"""project owners and normalized filenames

- ``index_files.file_key``: the sha256 (hex) of the normalized filename (project name per
  PEP 503, version per PEP 440 canonical form, wheel build tag and expanded tag set; one sdist
  per release), so that ``Foo_Bar-1.0-py3-none-any.whl`` and ``foo_bar-1.0.0-py3-none-any.whl``
  are one file; hashed because an expanded tag set can be longer than any column.
- ``index_files.version`` and ``index_yanks.version`` hold the release in PEP 440 canonical form
  (``1.0`` and ``1.0.0`` are release ``1``), so a yank of ``1.0`` covers ``1.0.0`` files.
- ``indexes.project_ownership``: ``open`` for the indexes that exist (today's behaviour); new
  indexes are made ``first-uploader`` unless their creator says otherwise.
- ``project_owners``: each project's owners (users or teams), filled with the first recorded
  uploader of each project that still has a user of that name.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

import sqlalchemy as sa
from alembic import op
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FILES = sa.table(
    "index_files",
    sa.column("id", sa.Integer),
    sa.column("index_id", sa.Integer),
    sa.column("distribution_id", sa.Integer),
    sa.column("filename", sa.String),
    sa.column("project", sa.String),
    sa.column("version", sa.String),
    sa.column("file_key", sa.String),
)
_YANKS = sa.table(
    "index_yanks",
    sa.column("id", sa.Integer),
    sa.column("index_id", sa.Integer),
    sa.column("project", sa.String),
    sa.column("version", sa.String),
)
_DISTRIBUTIONS = sa.table(
    "distributions", sa.column("id", sa.Integer), sa.column("version", sa.String)
)

#: The first recorded uploader of each project becomes its owner, if that user still exists.
_FIRST_UPLOADERS = """
INSERT INTO project_owners (index_id, project, user_id, created_at)
SELECT f.index_id, f.project, u.id, CURRENT_TIMESTAMP
FROM index_files f JOIN users u ON u.name = f.uploader
WHERE f.id IN (
    SELECT MIN(id) FROM index_files WHERE uploader IS NOT NULL GROUP BY index_id, project
)
"""


def _hashed(normalized: str) -> str:
    return hashlib.sha256(normalized.encode()).hexdigest()


def _too_many_tags(filename: str) -> bool:
    """More than 256 tags (``DistFilename`` refuses such wheels; expanding them is slow)."""
    parts = filename.removesuffix(".whl").split("-")
    return len(parts) >= 5 and math.prod(p.count(".") + 1 for p in parts[-3:]) > 256


def file_key(filename: str) -> tuple[str, str] | None:
    """``(key, canonical release)``: a frozen copy of ``DistFilename.key``'s rule."""
    try:
        if filename.endswith(".whl"):
            if _too_many_tags(filename):
                return None
            name, version, build, tags = parse_wheel_filename(filename)
            release = canonicalize_version(version)
            build_tag = "".join(str(part) for part in build)
            tag_set = ".".join(sorted(map(str, tags)))
            return _hashed(f"{name}-{release}-{build_tag}-{tag_set}.whl"), release
        name, version = parse_sdist_filename(filename)
        release = canonicalize_version(version)
        return _hashed(f"{canonicalize_name(name)}-{release}.sdist"), release
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion, ValueError):
        return None


def _canonical(version: str) -> str:
    try:
        return canonicalize_version(version)
    except InvalidVersion:  # pragma: no cover - uploads only ever stored valid versions
        return version


def _chunks(rows: list[dict[str, object]], size: int = 5000) -> Iterable[list[dict[str, object]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _backfill_files(connection: sa.Connection) -> None:
    pairs = connection.execute(
        sa.select(_FILES.c.index_id, _FILES.c.filename, _FILES.c.version).distinct()
    ).all()
    rows: list[dict[str, object]] = []
    for index_id, filename, version in pairs:
        found = file_key(filename)
        key, release = found if found else (_hashed(filename.lower()), _canonical(version))
        rows.append({"i": index_id, "f": filename, "k": key, "v": release})
    update = (
        sa.update(_FILES)
        .where(_FILES.c.index_id == sa.bindparam("i"), _FILES.c.filename == sa.bindparam("f"))
        .values(file_key=sa.bindparam("k"), version=sa.bindparam("v"))
    )
    for chunk in _chunks(rows):
        connection.execute(update, chunk)


def _backfill_yanks(connection: sa.Connection) -> None:
    versions = connection.scalars(sa.select(_YANKS.c.version).distinct()).all()
    rows: list[dict[str, object]] = [
        {"old": v, "new": _canonical(v)} for v in versions if _canonical(v) != v
    ]
    update = (
        sa.update(_YANKS)
        .where(_YANKS.c.version == sa.bindparam("old"))
        .values(version=sa.bindparam("new"))
    )
    for chunk in _chunks(rows):
        connection.execute(update, chunk)


def upgrade() -> None:
    op.add_column(
        "indexes",
        sa.Column("project_ownership", sa.String(16), nullable=False, server_default="open"),
    )
    op.add_column(
        "index_files", sa.Column("file_key", sa.String(64), nullable=False, server_default="")
    )
    connection = op.get_bind()
    _backfill_files(connection)
    _backfill_yanks(connection)
    op.create_index("ix_index_files_file_key", "index_files", ["index_id", "file_key"])
    op.create_table(
        "project_owners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("index_id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["indexes.id"],
            name=op.f("fk_project_owners_index_id_indexes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_project_owners_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_project_owners_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_owners")),
        sa.UniqueConstraint("index_id", "project", "user_id", name="uq_project_owners_user"),
        sa.UniqueConstraint("index_id", "project", "team_id", name="uq_project_owners_team"),
    )
    op.create_index("ix_project_owners_user_id", "project_owners", ["user_id"])
    op.create_index("ix_project_owners_team_id", "project_owners", ["team_id"])
    op.execute(sa.text(_FIRST_UPLOADERS))


def _restore_versions(connection: sa.Connection) -> None:
    """Memberships get their file's version back; yanks the version a file of theirs spells."""
    spelled = (
        sa.select(_DISTRIBUTIONS.c.version)
        .where(_DISTRIBUTIONS.c.id == _FILES.c.distribution_id)
        .scalar_subquery()
    )
    connection.execute(sa.update(_FILES).values(version=spelled))
    releases = connection.execute(
        sa.select(_FILES.c.index_id, _FILES.c.project, _FILES.c.version).distinct()
    ).all()
    spelling = {(i, p, _canonical(v)): v for i, p, v in releases}
    yanks = connection.execute(
        sa.select(_YANKS.c.id, _YANKS.c.index_id, _YANKS.c.project, _YANKS.c.version)
    ).all()
    rows: list[dict[str, object]] = [
        {"row": row_id, "v": spelling[(i, p, v)]}
        for row_id, i, p, v in yanks
        if (i, p, v) in spelling and spelling[(i, p, v)] != v
    ]
    update = sa.update(_YANKS).where(_YANKS.c.id == sa.bindparam("row"))
    for chunk in _chunks(rows):
        connection.execute(update.values(version=sa.bindparam("v")), chunk)


def downgrade() -> None:
    op.drop_table("project_owners")
    _restore_versions(op.get_bind())
    op.drop_index("ix_index_files_file_key", table_name="index_files")
    # ALTER TABLE ... DROP COLUMN, also on SQLite (3.35+): a batch copy of ``indexes`` would
    # drop the old table, and with foreign keys on, that deletes every row that refers to it.
    op.drop_column("index_files", "file_key")
    op.drop_column("indexes", "project_ownership")
