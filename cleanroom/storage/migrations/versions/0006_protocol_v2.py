"""protocol v2: relay batches of once-blinded points (cleanroom.storage.blinding_tables).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:40:00
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
        "blinding_batches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("collaboration_id", sa.String(length=40), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("blinder_id", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owner_key_check", sa.String(length=16), nullable=False),
        sa.Column("blinder_key_check", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collaboration_id"], ["collaborations.id"]),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_versions.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["blinder_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_version_id", "family"),
    )
    with op.batch_alter_table("blinding_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blinding_batches_collaboration_id"), ["collaboration_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("blinding_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blinding_batches_collaboration_id"))
    op.drop_table("blinding_batches")
