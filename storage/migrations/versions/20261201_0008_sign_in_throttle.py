"""Sign-in throttling by slots taken before Argon2 runs (per account, address and trusted
browser), replacing the failure log that parallel guesses raced past.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("blocked_until", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_throttle_window_started_at"), ["window_started_at"], unique=False
        )
    op.create_table(
        "trusted_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("counselor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["counselor_id"], ["counselor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("trusted_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trusted_device_counselor_id"), ["counselor_id"], unique=False
        )
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_username"))
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_created_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_address"))
    op.drop_table("sign_in_failure")


def downgrade() -> None:
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_failure_address"), ["address"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sign_in_failure_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sign_in_failure_username"), ["username"], unique=False)
    with op.batch_alter_table("trusted_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trusted_device_counselor_id"))
    op.drop_table("trusted_device")
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_throttle_window_started_at"))
    op.drop_table("sign_in_throttle")
