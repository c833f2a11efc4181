"""key rosters: the party_admin keys fixed under ``pin_keys: on_registration`` and each
rostered party's signature of them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_rosters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collaboration_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collaboration_id"], ["collaborations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collaboration_id", "version"),
    )
    with op.batch_alter_table("key_rosters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_rosters_collaboration_id"), ["collaboration_id"], unique=False
        )
    op.create_table(
        "roster_signatures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collaboration_id", sa.String(length=40), nullable=False),
        sa.Column("roster_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collaboration_id"], ["collaborations.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["roster_id"], ["key_rosters.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("roster_id", "member_id"),
    )
    with op.batch_alter_table("roster_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_signatures_collaboration_id"), ["collaboration_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roster_signatures_roster_id"), ["roster_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("roster_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_signatures_roster_id"))
        batch_op.drop_index(batch_op.f("ix_roster_signatures_collaboration_id"))
    op.drop_table("roster_signatures")
    with op.batch_alter_table("key_rosters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_rosters_collaboration_id"))
    op.drop_table("key_rosters")
