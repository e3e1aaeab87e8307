"""Retention: a client silent for longer than the retention period is erased as /forget would
erase them (their words, goals, notes, their key, their record), a batch at a time; the
counselors' audit log is kept for its own, longer, period. The scheduler runs both."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlmodel import col

from storage.client_data import erase_client
from storage.database import Database, lock_key
from storage.models import Client
from storage.review_models import AuditEntry

BATCH = 100
DEFAULT_RETENTION_DAYS = 365  # ALONGSIDE_RETENTION_DAYS, unless set
DEFAULT_AUDIT_RETENTION_DAYS = 2190  # six years; ALONGSIDE_AUDIT_RETENTION_DAYS, unless set


def purge_inactive(db: Database, *, now: datetime, days: int, batch: int = BATCH) -> int:
    """Erase up to `batch` clients whose last message is more than `days` old; how many.
    Each client is locked as a turn would lock them and checked again, so one who writes at
    that moment is kept."""
    cutoff = now - timedelta(days=days)
    with db.write_session() as session:
        found = session.execute(
            select(col(Client.id), col(Client.channel), col(Client.external_id))
            .where(col(Client.last_active_at) < cutoff)
            .order_by(col(Client.last_active_at))
            .limit(batch)
        ).all()
        erased = 0
        for client_id, channel, external_id in found:
            if not db.is_sqlite:
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": lock_key(channel, external_id)},
                )
                still = session.execute(
                    select(col(Client.last_active_at)).where(col(Client.id) == client_id)
                ).scalar_one_or_none()
                if still is None or still >= cutoff:
                    continue
            erase_client(session, client_id)
            erased += 1
    return erased


def purge_audit(db: Database, *, now: datetime, days: int, batch: int = BATCH * 10) -> int:
    """Delete up to `batch` audit entries older than `days` (the database refuses any younger
    than a year); how many."""
    cutoff = now - timedelta(days=days)
    with db.write_session() as session:
        ids = (
            session.execute(
                select(col(AuditEntry.id))
                .where(col(AuditEntry.created_at) < cutoff)
                .order_by(col(AuditEntry.id))
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if ids:
            session.execute(delete(AuditEntry).where(col(AuditEntry.id).in_(ids)))
    return len(ids)


def purge_expired(
    db: Database, *, now: datetime, days: int, audit_days: int, batch: int = BATCH
) -> tuple[int, int]:
    """One round: clients past retention, then old audit entries, batch after batch until none
    is left; (clients erased, audit entries deleted)."""
    clients = audits = 0
    while erased := purge_inactive(db, now=now, days=days, batch=batch):
        clients += erased
    while deleted := purge_audit(db, now=now, days=audit_days, batch=batch * 10):
        audits += deleted
    return clients, audits
