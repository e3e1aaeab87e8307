"""The durable inbox: updates are stored here before the channel is told they arrived, and
taken out one turn at a time, in each client's order.

`store` inserts a batch in one transaction; an update already there (a redelivery, or a second
poller) is skipped. `inbox_turn` claims the oldest update of a client who has no older one
waiting, and opens that client's turn on the same transaction; the row is deleted when the turn
commits. A crash before the commit leaves the row where it was, so the update is taken again.
On PostgreSQL the claim is `FOR UPDATE OF inbox SKIP LOCKED`: another process skips the row
this one holds, and skips the client's later rows too, because an older one still exists. On
SQLite `BEGIN IMMEDIATE` serialises the claims (one process)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.database import Database
from storage.models import InboxMessage, utcnow
from storage.turn import Turn

log = logging.getLogger(__name__)

MAX_TURN_ATTEMPTS = 3  # an update whose turn fails this often (not an outage) is set aside
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it), lone surrogates


def storable(value: str) -> str:
    """`value` without the characters a backend refuses: NUL bytes and lone surrogates."""
    return _UNSTORABLE.sub("", value)


def is_transient(error: BaseException) -> bool:
    """A database that is away, locked, full or read-only, rather than a bad statement."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


@dataclass(frozen=True)
class InboxEntry:
    channel: str
    external_id: str
    update_id: int
    kind: str
    text: str | None = None
    choice: str | None = None
    locale: str | None = None
    written_at: datetime = field(default_factory=utcnow)
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def __repr__(self) -> str:  # no client text in reprs, and so none in logs
        return f"InboxEntry(id={self.id}, update_id={self.update_id}, kind={self.kind!r})"


def store(db: Database, entries: Sequence[InboxEntry]) -> None:
    """Commit `entries` to the inbox, cleaned; ones already there are left as they are."""
    if not entries:
        return
    rows = [
        {
            "channel": e.channel,
            "external_id": e.external_id,
            "update_id": e.update_id,
            "kind": e.kind,
            "text": storable(e.text) if e.text is not None else None,
            "choice": storable(e.choice) if e.choice is not None else None,
            "locale": storable(e.locale)[:16] if e.locale else None,
            "written_at": e.written_at,
            "extra": e.extra,
            "received_at": utcnow(),
            "attempts": 0,
        }
        for e in entries
    ]
    dialect = postgresql if not db.is_sqlite else sqlite
    statement = dialect.insert(InboxMessage).on_conflict_do_nothing(
        index_elements=["channel", "update_id"]
    )
    with db.write_session() as session:
        session.execute(statement, rows)


def depth(db: Database) -> int:
    """How many updates wait."""
    with Session(db.engine) as session:
        return int(session.execute(select(func.count()).select_from(InboxMessage)).scalar_one())


def has_waiting(db: Database) -> bool:
    """A cheap look, without a write lock, before claiming."""
    with Session(db.engine) as session:
        return session.execute(select(col(InboxMessage.id)).limit(1)).first() is not None


@contextmanager
def inbox_turn(
    db: Database, *, locale_for: Callable[[str | None], str], clock: Callable[[], datetime]
) -> Iterator[tuple[InboxEntry, Turn] | None]:
    """The next update in its client's order and that client's turn, on one transaction: the
    update leaves the inbox when the block ends, with everything the turn wrote; if the block
    raises, neither happens. None when nothing can be taken now."""
    if not has_waiting(db):
        yield None
        return
    claimed: int | None = None
    try:
        with db.write_session() as session:
            row = session.execute(_claim_query(db)).scalars().first()
            if row is None:
                yield None
                return
            claimed = row.id
            entry = _entry(row)
            turn = db.open_turn(
                session,
                row.channel,
                row.external_id,
                locale=locale_for(row.locale),
                now=clock(),
            )
            yield entry, turn
            session.execute(delete(InboxMessage).where(col(InboxMessage.id) == claimed))
    except Exception as error:
        if claimed is not None and not is_transient(error):
            _count_failure(db, claimed)
        raise


def _claim_query(db: Database) -> Any:
    older = aliased(InboxMessage)
    query = (
        select(InboxMessage)
        .where(
            ~exists().where(
                col(older.channel) == col(InboxMessage.channel),
                col(older.external_id) == col(InboxMessage.external_id),
                col(older.id) < col(InboxMessage.id),
            )
        )
        .order_by(col(InboxMessage.id))
        .limit(1)
    )
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True, of=InboxMessage)
    return query


def _entry(row: InboxMessage) -> InboxEntry:
    assert row.id is not None
    return InboxEntry(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        update_id=row.update_id,
        kind=row.kind,
        text=row.text,
        choice=row.choice,
        locale=row.locale,
        written_at=row.written_at,
        extra=dict(row.extra),
    )


def _count_failure(db: Database, row_id: int) -> None:
    """One more failed turn on the row; at the limit it is set aside (deleted), so one update
    the engine cannot handle does not hold up the client's later ones for ever."""
    try:
        with db.write_session() as session:
            session.execute(
                update(InboxMessage)
                .where(col(InboxMessage.id) == row_id)
                .values(attempts=col(InboxMessage.attempts) + 1)
            )
            gone = session.execute(
                delete(InboxMessage)
                .where(
                    col(InboxMessage.id) == row_id,
                    col(InboxMessage.attempts) >= MAX_TURN_ATTEMPTS,
                )
                .returning(col(InboxMessage.id))
            ).first()
        if gone is not None:
            log.error("inbox row %s failed %d turns: set aside", row_id, MAX_TURN_ATTEMPTS)
    except Exception as error:  # the database went away meanwhile: the row is taken again
        log.warning(
            "could not count a failed turn on inbox row %s: %s", row_id, type(error).__name__
        )
