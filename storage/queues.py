"""How much waits in the inbox and the outbox, and since when: for metrics and readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from storage.database import Database
from storage.models import InboxMessage, OutboxMessage, UTCDateTime

_UTC = UTCDateTime()


@dataclass(frozen=True)
class QueueDepths:
    inbox: int
    inbox_oldest: datetime | None
    outbox: int  # pending replies
    outbox_oldest: datetime | None


def queue_depths(db: Database) -> QueueDepths:
    with Session(db.engine) as session:
        inbox, inbox_oldest = session.execute(
            select(func.count(), func.min(col(InboxMessage.received_at)))
        ).one()
        outbox, outbox_oldest = session.execute(
            select(func.count(), func.min(col(OutboxMessage.created_at))).where(
                col(OutboxMessage.status) == "pending"
            )
        ).one()
    return QueueDepths(int(inbox), _aware(inbox_oldest), int(outbox), _aware(outbox_oldest))


def _aware(value: datetime | str | None) -> datetime | None:
    """`min()` over a UTC column: SQLite hands back text, PostgreSQL an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _UTC.process_result_value(value, None)  # type: ignore[arg-type]
