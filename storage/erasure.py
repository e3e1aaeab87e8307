"""Erasure that leaves no readable trace in the database files.

SQLite: every connection runs with `secure_delete=ON`, so a deleted row's bytes are overwritten
with zeros in its page; but the write-ahead log still holds the pages as they were before, so
after a transaction that erased a client, the WAL is checkpointed into the database and
truncated. PostgreSQL keeps a deleted row's bytes until VACUUM reuses the space (and even then
in its WAL segments and any base backup); there, erasure relies on the client's own key being
deleted with their rows (storage.client_keys), which leaves every copy of the ciphertext
unreadable."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_SCRUB = "alongside_scrub"  # session.info: this transaction erased something
_COMMITTED = "alongside_committed"  # session.info: the last transaction to end committed
CHECKPOINT_BUSY_TIMEOUT_MS = 2_000  # how long the checkpoint waits for readers to move on


def scrub_after_commit(session: Session) -> None:
    """Mark the session's transaction as one that erased a client's rows."""
    session.info[_SCRUB] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info[_COMMITTED] = True


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info[_COMMITTED] = False


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Once the outermost transaction has ended (savepoints end inside it): scrub, if it
    committed an erasure."""
    if transaction.parent is not None or transaction.nested:
        return
    committed, erased = session.info.pop(_COMMITTED, False), session.info.pop(_SCRUB, False)
    if committed and erased:
        scrub(session.get_bind().engine)


def scrub(engine: Engine) -> bool:
    """On SQLite, copy the WAL into the database and truncate it, so the only copy of an
    erased row is the zeroed one. False if a reader kept it from finishing (the next erasure
    or retention round tries again). Nothing to do on PostgreSQL (see the module's note)."""
    if engine.dialect.name != "sqlite":
        return True
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_TIMEOUT_MS}")
        busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    if busy:
        log.warning("the WAL checkpoint after an erasure was kept busy; it is retried later")
    return not busy


def vacuum(engine: Engine) -> None:
    """Rewrite the SQLite file, so nothing deleted before `secure_delete` was on survives in
    its free pages (used once after `alongside keys rotate` has sealed older plaintext)."""
    if engine.dialect.name != "sqlite":
        return
    raw: Any = engine.raw_connection()
    try:
        raw.cursor().execute("VACUUM")
    finally:
        raw.close()
    scrub(engine)
