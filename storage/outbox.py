"""The outbox as the sender sees it: each client's oldest unsent reply, and a claim on one reply
while it is being sent.

A reply is sendable when no older reply of the same client is still pending, so each client's
replies go out in order. Each client's first message of a turn is offered before later
messages of other clients' turns, so a queue of long answers does not hold back a new
conversation's first reply. On PostgreSQL a claim holds the row `FOR UPDATE SKIP LOCKED` in a
transaction for the length of the send and marks it sent in that same transaction: another
process skips the row, and the client's later rows wait behind it, so no reply goes out twice
unless a process dies between the send and the commit (then once more, at most). A client sent
a message by any process in the last `chat_interval` seconds is not offered, so Telegram's
per-chat pace holds across processes. On SQLite (one process) the sender's own bookkeeping
keeps a client to one send at a time, and its pacer the pace."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.database import Database, OutboxItem
from storage.models import Client, OutboxMessage, utcnow


def sendable(
    db: Database,
    *,
    channel: str,
    limit: int = 100,
    skip: Collection[int] = (),
    chat_interval: float = 0.0,
) -> list[OutboxItem]:
    """The oldest pending reply of each reachable client on `channel` (not of `skip`), turns'
    first messages first, then oldest first, at most `limit`. On PostgreSQL, not of a client
    sent a message less than `chat_interval` seconds ago by any process (one process paces
    itself in memory)."""
    older = aliased(OutboxMessage)
    query: Any = (
        select(OutboxMessage, col(Client.channel), col(Client.external_id))
        .join(Client, col(Client.id) == col(OutboxMessage.client_id))
        .where(
            col(OutboxMessage.status) == "pending",
            col(Client.unreachable).is_(False),
            col(Client.channel) == channel,
            ~exists().where(
                col(older.client_id) == col(OutboxMessage.client_id),
                col(older.status) == "pending",
                col(older.id) < col(OutboxMessage.id),
            ),
        )
        .order_by(col(OutboxMessage.part) > 0, col(OutboxMessage.id))  # first replies first
        .limit(limit)
    )
    if skip:
        query = query.where(col(OutboxMessage.client_id).not_in(list(skip)))
    if chat_interval > 0 and not db.is_sqlite:
        recent = aliased(OutboxMessage)
        query = query.where(
            ~exists().where(
                col(recent.client_id) == col(OutboxMessage.client_id),
                col(recent.status) == "sent",
                col(recent.sent_at) > func.now() - timedelta(seconds=chat_interval),
            )
        )
    with Session(db.engine) as session:
        rows = session.execute(query).all()
    return [db.outbox_item(message, channel, external_id) for message, channel, external_id in rows]


class SendClaim:
    """One reply held for sending. Call exactly one of `sent` or `release`."""

    def __init__(self, db: Database, outbox_id: int, connection: Connection | None) -> None:
        self.db, self.outbox_id, self._connection = db, outbox_id, connection

    def sent(self) -> None:
        values = {"status": "sent", "sent_at": utcnow(), "attachment": None}
        statement = update(OutboxMessage).where(col(OutboxMessage.id) == self.outbox_id)
        if self._connection is None:
            with self.db.write_session() as session:
                session.execute(statement.values(**values))
            return
        try:
            self._connection.execute(statement.values(**values))
            self._connection.commit()
        finally:
            self._connection.close()  # back to the pool, whatever happened

    def release(self) -> None:
        if self._connection is not None:
            try:
                with contextlib.suppress(Exception):  # a dropped connection: nothing to undo
                    self._connection.rollback()
            finally:
                self._connection.close()


def claim(db: Database, outbox_id: int) -> SendClaim | None:
    """Hold reply `outbox_id` for sending; None if it is sent, or held by another process."""
    if db.is_sqlite:
        return SendClaim(db, outbox_id, None)
    connection = db.engine.connect()
    try:
        held = connection.execute(
            text(
                "SELECT o.id FROM outbox o WHERE o.id = :id AND o.status = 'pending' AND NOT "
                "EXISTS (SELECT 1 FROM outbox p WHERE p.client_id = o.client_id "
                "AND p.status = 'pending' AND p.id < o.id) FOR UPDATE OF o SKIP LOCKED"
            ),
            {"id": outbox_id},
        ).first()
    except Exception:
        connection.close()
        raise
    if held is None:
        connection.rollback()
        connection.close()
        return None
    return SendClaim(db, outbox_id, connection)


SLOTS_PER_SECOND = 5  # the shared pace is counted per fifth of a second
_RESERVE = text(
    "INSERT INTO send_slot (slot, sent) "
    "VALUES (floor(extract(epoch FROM clock_timestamp()) * :per)::bigint, 1) "
    "ON CONFLICT (slot) DO UPDATE SET sent = send_slot.sent + 1 WHERE send_slot.sent < :cap "
    "RETURNING slot, sent"
)


def reserve_send(db: Database, per_second: int) -> float:
    """A place for one send in this fifth of a second, counted across every process sharing
    this PostgreSQL database: 0.0 when it may go now, else the seconds to wait before asking
    again. Each fifth takes at most per_second / 5, so any one second, however it falls across
    them, holds at most per_second plus one fifth's share. The database's clock decides, so
    processes on other machines agree."""
    cap = max(1, per_second // SLOTS_PER_SECOND)
    with db.engine.begin() as connection:
        row = connection.execute(_RESERVE, {"per": SLOTS_PER_SECOND, "cap": cap}).first()
        if row is not None and row.sent == 1:  # a new fifth: forget those a minute old
            connection.execute(
                text("DELETE FROM send_slot WHERE slot < :old"),
                {"old": row.slot - 60 * SLOTS_PER_SECOND},
            )
    if row is not None:
        return 0.0
    step = 1.0 / SLOTS_PER_SECOND
    return step - (time.time() % step) + 0.001
