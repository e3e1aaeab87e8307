"""One poller at a time on PostgreSQL: the process that holds a session advisory lock, on a
connection of its own, polls Telegram; the others take turns from the inbox and send, and
try for the lock every few seconds, so one takes over soon after the poller dies (its session,
and with it the lock, ends with it). On SQLite (one process) this process always polls.

Two pollers at once would still be safe (the inbox skips an update stored twice), only wasteful,
and Telegram answers the second with 409 Conflict."""

from __future__ import annotations

import contextlib

from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage import Database
from storage.database import lock_key

POLLER_KEY = lock_key("alongside", "telegram poller")


class PollingLeader:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: Connection | None = None
        self.leading = db.is_sqlite

    def try_lead(self) -> bool:
        """Take the lock if it is free, or check it is still held (a restarted database
        ends the session, and the lock with it). Blocking: call it in a thread."""
        if self.db.is_sqlite:
            return True
        try:
            if self._connection is None:
                self._connection = self.db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            if self.leading:
                self._connection.execute(text("SELECT 1"))
            else:
                query = text("SELECT pg_try_advisory_lock(:key)")
                self.leading = bool(self._connection.execute(query, {"key": POLLER_KEY}).scalar())
        except Exception:
            self.release()
            raise
        return self.leading

    def release(self) -> None:
        """Let go of the lock by ending the session (not returning the connection to the pool,
        where the lock would live on)."""
        self.leading = self.db.is_sqlite
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None
