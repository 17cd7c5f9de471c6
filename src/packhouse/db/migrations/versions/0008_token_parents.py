"""token parents: revoking a token revokes the tokens made through it

``tokens.parent_id`` names the token that created a token (None for one made with a password
login, by the CLI, or before this revision). Deleting a parent row leaves its children with none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: SQLite rebuilds the table to add a foreign key: keep its ids from reuse (AUTOINCREMENT).
_SQLITE = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("tokens", table_kwargs=_SQLITE) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tokens_parent_id_tokens"),
            "tokens",
            ["parent_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_tokens_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tokens", table_kwargs=_SQLITE) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_parent_id"))
        batch_op.drop_constraint(batch_op.f("fk_tokens_parent_id_tokens"), type_="foreignkey")
        batch_op.drop_column("parent_id")
