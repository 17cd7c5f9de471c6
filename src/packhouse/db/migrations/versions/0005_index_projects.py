"""index projects: a project's membership in an index, so the root page skips the files

The root page listed an index's projects with a DISTINCT over every live file (~410 ms at a
million files on SQLite). ``index_projects`` keeps one row per maximal interval of versions in
which a project has at least one live file; the backfill merges each project's file intervals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Stands for "not removed" (NULL) while intervals are merged: above every version number.
_OPEN = 2_147_483_647

# Gaps and islands, in one sort per (index, project): a file interval starts a new island unless
# it begins at or before the furthest end of the intervals before it (so [1,3) and [3,5) merge).
# ``id`` makes the order total, so that both window passes number tied rows alike.
_BACKFILL = f"""
INSERT INTO index_projects (index_id, project, added_in, removed_in)
SELECT index_id, project, MIN(added_in), NULLIF(MAX(ends), {_OPEN})
FROM (
    SELECT index_id, project, added_in, ends,
           SUM(starts) OVER (
               PARTITION BY index_id, project ORDER BY added_in, ends, id
               ROWS UNBOUNDED PRECEDING
           ) AS island
    FROM (
        SELECT id, index_id, project, added_in, ends,
               CASE WHEN added_in <= MAX(ends) OVER (
                   PARTITION BY index_id, project ORDER BY added_in, ends, id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
               ) THEN 0 ELSE 1 END AS starts
        FROM (
            SELECT id, index_id, project, added_in, COALESCE(removed_in, {_OPEN}) AS ends
            FROM index_files
            WHERE removed_in IS NULL OR removed_in > added_in
        ) AS spans
    ) AS marked
) AS islands
GROUP BY index_id, project, island
"""  # noqa: S608 - no input: a constant


def upgrade() -> None:
    op.create_table(
        "index_projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("index_id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("added_in", sa.Integer(), nullable=False),
        sa.Column("removed_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["indexes.id"],
            name=op.f("fk_index_projects_index_id_indexes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_projects")),
    )
    op.execute(sa.text(_BACKFILL))
    # The indexes are built after the rows are in: one sorted build each.
    op.create_index(
        "ix_index_projects_page",
        "index_projects",
        ["index_id", "project", "added_in", "removed_in"],
    )
    op.create_index(
        "ix_index_projects_open",
        "index_projects",
        ["index_id", "project"],
        unique=True,
        sqlite_where=sa.text("removed_in IS NULL"),
        postgresql_where=sa.text("removed_in IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("index_projects")
