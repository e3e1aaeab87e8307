"""Privacy at rest: each client's own data key (wrapped by a master key) and the ids of erased
ones (for restores); transcript text that may be rewritten only to seal it; audit entries
deletable once past a floor age.

Rows already stored stay as they are (plaintext reads as itself); `alongside keys rotate`
seals them in batches once a key is configured.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A transcript event's columns other than `text`: never changed. `text` may be rewritten only
# as a sealed value (by `alongside keys rotate`).
FIXED = "id, client_id, direction, kind, choice, template, mi_code, flow, state, author, created_at"
REFUSE = "SELECT RAISE(ABORT, 'transcript events are append-only')"
AUDIT_FLOOR_DAYS = 365  # younger audit entries cannot be deleted, whatever the settings say


def upgrade() -> None:
    op.create_table(
        "client_key",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("client_id"),
        sa.UniqueConstraint("key_id"),
    )
    with op.batch_alter_table("client_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_key_master_key_id"), ["master_key_id"], unique=False
        )
    op.create_table(
        "erased_key",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("erased_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER transcript_event_append_only")
        op.execute(
            f"CREATE TRIGGER transcript_event_append_only BEFORE UPDATE OF {FIXED} "
            f"ON transcript_event BEGIN {REFUSE}; END"
        )
        op.execute(
            "CREATE TRIGGER transcript_event_sealed_only BEFORE UPDATE OF text ON transcript_event "
            "WHEN NEW.text IS NULL OR NEW.text NOT LIKE 'ag1:%' "
            f"BEGIN {REFUSE}; END"
        )
        op.execute("DROP TRIGGER audit_entry_no_delete")
        op.execute(
            "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
            f"WHEN OLD.created_at > datetime('now', '-{AUDIT_FLOOR_DAYS} days') "
            "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
        )
        return
    old, new = (", ".join(f"{row}.{c}" for c in FIXED.split(", ")) for row in ("OLD", "NEW"))
    op.execute(
        "CREATE OR REPLACE FUNCTION transcript_event_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF ({new}) IS NOT DISTINCT FROM ({old}) AND NEW.text LIKE 'ag1:%' THEN RETURN NEW; "
        "END IF; RAISE EXCEPTION 'transcript events are append-only'; END $$"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN "
        f"IF TG_OP = 'DELETE' AND OLD.created_at < now() - interval '{AUDIT_FLOOR_DAYS} days' "
        "THEN RETURN OLD; END IF; "
        "RAISE EXCEPTION 'audit entries are append-only'; END $$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER transcript_event_append_only")
        op.execute("DROP TRIGGER transcript_event_sealed_only")
        op.execute(
            "CREATE TRIGGER transcript_event_append_only BEFORE UPDATE ON transcript_event "
            f"BEGIN {REFUSE}; END"
        )
        op.execute("DROP TRIGGER audit_entry_no_delete")
        op.execute(
            "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
        )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION transcript_event_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'transcript events are append-only'; "
            "END $$"
        )
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$"
        )
    op.drop_table("erased_key")
    with op.batch_alter_table("client_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_key_master_key_id"))
    op.drop_table("client_key")
