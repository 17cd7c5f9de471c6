"""covering page index: removed_in joins ix_index_files_page

At a million files, listing an index's live projects walked the index and then every table
row for ``removed_in``; with the column in the index, SQLite answers from the index alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 20:15:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD = ["index_id", "project", "added_in"]


def upgrade() -> None:
    with op.batch_alter_table("index_files", schema=None) as batch_op:
        batch_op.drop_index("ix_index_files_page")
        batch_op.create_index("ix_index_files_page", [*_OLD, "removed_in"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("index_files", schema=None) as batch_op:
        batch_op.drop_index("ix_index_files_page")
        batch_op.create_index("ix_index_files_page", _OLD, unique=False)
