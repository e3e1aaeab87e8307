"""The audit log: who did what, when, from which address. Append-only in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from review.db import writing
from storage import Database
from storage.review_models import AuditEntry

COMMAND_LINE = "command line"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    address: str,
    client_code: str | None = None,
    detail: str | None = None,
) -> None:
    """Add an entry to `session`'s transaction, so it commits with what it records."""
    session.add(
        AuditEntry(
            actor=actor[:64],
            action=action,
            address=address[:64],
            client_code=client_code,
            detail=detail[:200] if detail else None,
        )
    )


def record_now(db: Database, **fields: str | None) -> None:
    with writing(db) as session:
        record(session, **fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    client_code: str | None
    detail: str | None
    address: str


def recent(db: Database, *, limit: int = 100, before: int | None = None) -> list[AuditLine]:
    """The newest entries first."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    with Session(db.engine) as session:
        rows = session.exec(query).all()
    return [
        AuditLine(r.created_at, r.actor, r.action, r.client_code, r.detail, r.address) for r in rows
    ]
