"""token issuer and key checks: who issued each API token, the key check values each
match key registers (protocols.binding), and actor columns wide enough for attributed
actors (``brand:mem_... (token tok_..., issued by admin:tok_...)``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: (table, column, old length): actor-like columns widened from their old length to 200.
WIDENED = (
    ("policy_versions", "proposed_by", 40),
    ("audit_entries", "actor", 100),
    ("query_results", "requested_by", 100),
    ("party_rules", "created_by", 100),
    ("repeat_tallies", "actor", 100),
)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("issued_by", sa.String(length=200), nullable=False, server_default="server")
        )
    with op.batch_alter_table("wrapped_match_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("key_checks", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    for table, column, old in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=old),
                type_=sa.String(length=200),
                existing_nullable=False,
            )


def downgrade() -> None:
    for table, column, old in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=200),
                type_=sa.String(length=old),
                existing_nullable=False,
            )
    with op.batch_alter_table("wrapped_match_keys", schema=None) as batch_op:
        batch_op.drop_column("key_checks")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("issued_by")
