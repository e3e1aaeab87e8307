"""A person steps in (issue 12): the handoff table, and who wrote a transcript message when it
was a counselor, not the bot.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = storage.models.UTCDateTime
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_by", sa.String(length=16), nullable=False),
        sa.Column("counselor", sa.String(length=64), nullable=True),
        sa.Column("created_at", when(timezone=True), nullable=False),
        sa.Column("agreed_at", when(timezone=True), nullable=True),
        sa.Column("held_at", when(timezone=True), nullable=True),
        sa.Column("idle_at", when(timezone=True), nullable=True),
        sa.Column("ended_at", when(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_status"), ["status"], unique=False)
    # A plain ADD COLUMN (no batch copy), so the append-only trigger stays on the table.
    op.add_column("transcript_event", sa.Column("author", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("transcript_event", "author")
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_status"))
        batch_op.drop_index(batch_op.f("ix_handoff_client_id"))
    op.drop_table("handoff")
