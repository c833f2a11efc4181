"""repeat_tallies: repeats of a stored result counted per actor, sealed in batches.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:10:32.187249
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repeat_tallies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collaboration_id", sa.String(length=40), nullable=False),
        sa.Column("result_id", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collaboration_id"],
            ["collaborations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["query_results.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collaboration_id", "result_id", "actor"),
    )
    with op.batch_alter_table("repeat_tallies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repeat_tallies_collaboration_id"), ["collaboration_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("repeat_tallies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repeat_tallies_collaboration_id"))

    op.drop_table("repeat_tallies")
