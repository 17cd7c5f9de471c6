"""retired index names: a deleted index's name is never reused unless an admin purges it

Version URLs (``/pypi/<name>/versions/N/...``) are served as immutable; a new index under a
deleted index's name would have changed what they serve.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retired_index_names",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_retired_index_names")),
    )
    # Indexes deleted before this revision left their names in the audit log only.
    op.execute(
        sa.text(
            "INSERT INTO retired_index_names (name, retired_at, retired_by)"
            " SELECT a.index_name, MAX(a.at), NULL FROM audit_log a"
            " WHERE a.action = 'index.delete' AND a.index_name IS NOT NULL"
            " AND a.index_name NOT IN (SELECT name FROM indexes)"
            " GROUP BY a.index_name"
        )
    )


def downgrade() -> None:
    op.drop_table("retired_index_names")
