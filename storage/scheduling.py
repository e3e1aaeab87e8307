"""Claiming what has fallen due (check-ins, timed messages) so that each goes out once.

`claim_due` opens ONE transaction. On PostgreSQL it selects due rows `FOR UPDATE SKIP LOCKED`:
another scheduler process running the same query at the same moment skips the rows this one
holds and picks others, or none. For each claimed client it then tries that client's turn lock
(`pg_try_advisory_xact_lock`, the lock every turn takes first): a client in the middle of a turn
is left for the next round instead of waited for, so a turn and the scheduler never deadlock.
The caller moves each claimed row on (next slot, or sent) and queues the message in the outbox
through the client's `Turn`, all in the same transaction: when it commits, the message is queued
and the row no longer due, together. On SQLite `BEGIN IMMEDIATE` serialises writers instead."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.database import Database, lock_key
from storage.models import CheckinSchedule, Client, TimedMessage
from storage.rhythm import ScheduleView, schedule_view
from storage.turn import Turn


@dataclass(frozen=True)
class TimedView:
    id: int
    kind: str
    trigger: str
    due_at: datetime


@dataclass
class Claim:
    """One client's due work, with a turn on the claiming transaction to act on it."""

    turn: Turn
    channel: str
    external_id: str
    checkin: ScheduleView | None = None
    timed: list[TimedView] | None = None


@contextmanager
def claim_due(
    db: Database, now: datetime, *, limit: int = 100, channel: str | None = None
) -> Iterator[list[Claim]]:
    """Up to `limit` due check-ins and up to `limit` due timed messages (of clients on
    `channel`, if given), claimed in one transaction that commits when the block ends (nothing
    is claimed if it raises)."""
    with db.engine.connect() as connection:
        if db.is_sqlite:
            connection = connection.execution_options(immediate=True)
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            claims: dict[int, Claim] = {}
            refused: set[int] = set()

            def claim_for(client: Client) -> Claim | None:
                assert client.id is not None
                if client.id in claims or client.id in refused:
                    return claims.get(client.id)
                if not db.is_sqlite and not _try_lock(session, client):
                    refused.add(client.id)
                    return None
                turn = Turn(session, client, now=now, by_client=False)
                claims[client.id] = Claim(turn, client.channel, client.external_id)
                return claims[client.id]

            for row, client in session.execute(_due_checkins(now, limit, channel)).all():
                if (claim := claim_for(client)) is not None:
                    claim.checkin = schedule_view(row)
            for timed, client in session.execute(_due_timed(now, limit, channel)).all():
                if (claim := claim_for(client)) is not None:
                    claim.timed = [*(claim.timed or []), _timed_view(timed)]
            yield list(claims.values())


def _reachable(query: Any, channel: str | None) -> Any:
    query = query.where(col(Client.unreachable).is_(False), col(Client.consent) == "given")
    return query if channel is None else query.where(col(Client.channel) == channel)


def _due_checkins(now: datetime, limit: int, channel: str | None) -> Any:
    query = (
        select(CheckinSchedule, Client)
        .join(Client, col(Client.id) == col(CheckinSchedule.client_id))
        .where(col(CheckinSchedule.next_due_at) <= now, col(CheckinSchedule.paused).is_(False))
        .order_by(col(CheckinSchedule.next_due_at))
        .limit(limit)
        .with_for_update(skip_locked=True, of=CheckinSchedule)
    )
    return _reachable(query, channel)


def _due_timed(now: datetime, limit: int, channel: str | None) -> Any:
    query = (
        select(TimedMessage, Client)
        .join(Client, col(Client.id) == col(TimedMessage.client_id))
        .where(col(TimedMessage.due_at) <= now, col(TimedMessage.status) == "pending")
        .order_by(col(TimedMessage.due_at), col(TimedMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=TimedMessage)
    )
    return _reachable(query, channel)


def _try_lock(session: Session, client: Client) -> bool:
    key = lock_key(client.channel, client.external_id)
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar())


def _timed_view(row: TimedMessage) -> TimedView:
    assert row.id is not None
    return TimedView(id=row.id, kind=row.kind, trigger=row.trigger, due_at=row.due_at)


def pending_timed(db: Database, client_id: int) -> list[TimedView]:
    """A client's timed messages not yet sent or cancelled, soonest first."""
    with Session(db.engine) as session:
        rows = session.exec(
            select(TimedMessage)
            .where(TimedMessage.client_id == client_id, TimedMessage.status == "pending")
            .order_by(col(TimedMessage.due_at))
        ).all()
    return [_timed_view(r) for r in rows]
