"""Safety alerts waiting for the on-call chat: safety events not yet announced there. The event
row is the outbox: an alert that fails is tried again, and a sent one is marked on its row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as select_columns
from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.database import Database
from storage.models import Client, SafetyEvent, utcnow


@dataclass(frozen=True)
class PendingAlert:
    event_id: int
    client_id: int
    client_code: str  # pseudonymous; the alert never carries the client's words
    category: str
    created_at: datetime


def pending_alerts(
    db: Database,
    *,
    since: datetime,
    categories: tuple[str, ...],
    max_attempts: int,
    limit: int = 50,
) -> list[PendingAlert]:
    """Events of these categories since `since`, not yet announced, oldest first."""
    query = (
        select_columns(
            col(SafetyEvent.id),
            col(SafetyEvent.client_id),
            col(Client.code),
            col(SafetyEvent.category),
            col(SafetyEvent.created_at),
        )
        .join(Client, col(Client.id) == col(SafetyEvent.client_id))
        .where(col(SafetyEvent.alerted_at).is_(None), col(SafetyEvent.created_at) >= since)
        .where(col(SafetyEvent.category).in_(categories))
        .where(col(SafetyEvent.alert_attempts) < max_attempts)
        .order_by(col(SafetyEvent.id))
        .limit(limit)
    )
    with Session(db.engine) as session:
        rows = session.execute(query).all()
    return [
        PendingAlert(
            event_id=i, client_id=client, client_code=code, category=category, created_at=at
        )
        for i, client, code, category, at in rows
        if i is not None
    ]


def alerted_since(db: Database, *, client_id: int, category: str, since: datetime) -> bool:
    """Whether an alert of this category for this client went out since `since`."""
    query = select(SafetyEvent.id).where(
        col(SafetyEvent.client_id) == client_id,
        col(SafetyEvent.category) == category,
        col(SafetyEvent.alerted_at) >= since,
    )
    with Session(db.engine) as session:
        return session.exec(query.limit(1)).first() is not None


def mark_alert_sent(db: Database, event_id: int) -> None:
    _set(db, event_id, alerted_at=utcnow())


def mark_alert_failed(db: Database, event_id: int) -> None:
    with Session(db.engine) as session, session.begin():
        session.execute(
            update(SafetyEvent)
            .where(col(SafetyEvent.id) == event_id)
            .values(alert_attempts=SafetyEvent.alert_attempts + 1)
        )


def _set(db: Database, event_id: int, **values: object) -> None:
    with Session(db.engine) as session, session.begin():
        session.execute(update(SafetyEvent).where(col(SafetyEvent.id) == event_id).values(**values))
