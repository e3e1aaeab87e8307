"""Sign-in throttling that parallel guesses cannot race past, and a cap on Argon2 at once.

A password check first takes a slot in each of its buckets (the account name and the address,
or the trusted browser alone) in one write transaction, by a conditional UPDATE that the
database serialises; only then does Argon2 run. A bucket's `limit` slots last a window; the
slot that fills it blocks the bucket for WINDOW, then twice that, and so on up to MAX_BLOCK.
While blocked, an attempt changes nothing, so an attacker cannot prolong a block by knocking;
after a day without use a bucket is forgotten. `CheckGate` bounds how many Argon2 checks run at
once in this process (each takes 64 MiB): a check that finds no slot in time is refused and
its bucket slots are given back."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from review.db import writing
from storage import Database
from storage.review_models import SignInThrottle

WINDOW = timedelta(minutes=15)
MAX_BLOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)
CHECK_WAIT = 3.0  # seconds a sign-in waits for a free Argon2 slot before it is refused


@dataclass(frozen=True)
class Bucket:
    key: str  # a hash: what was typed as a name is never stored
    limit: int


def bucket(kind: str, value: str, limit: int) -> Bucket:
    return Bucket(hashlib.sha256(f"{kind}:{value}".encode()).hexdigest(), limit)


class _Full(Exception):
    """A bucket had no free slot: the transaction rolls back, no slot is taken anywhere."""


def take(db: Database, buckets: Sequence[Bucket], now: datetime) -> bool:
    """One slot in every bucket, or (False) none at all."""
    with writing(db) as session:  # its own transaction: no lock held beside the slots'
        session.execute(
            delete(SignInThrottle).where(
                col(SignInThrottle.window_started_at) < now - FORGET_AFTER,
                or_(
                    col(SignInThrottle.blocked_until).is_(None),
                    col(SignInThrottle.blocked_until) < now,
                ),
            )
        )
    try:
        with writing(db) as session:
            for one in buckets:  # always in the caller's order (account, then address)
                _take(session, one, now)
    except _Full:
        return False
    return True


def _take(session: Session, one: Bucket, now: datetime) -> None:
    table = SignInThrottle.__table__  # type: ignore[attr-defined]
    maker = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgres_insert
    session.execute(
        maker(table)
        .values(key=one.key, window_started_at=now, attempts=0, level=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    mine = col(SignInThrottle.key) == one.key
    attempts = col(SignInThrottle.attempts)
    blocked = col(SignInThrottle.blocked_until)
    # A block that has passed, or a window that has, starts a new window.
    session.execute(
        update(SignInThrottle)
        .where(
            mine,
            or_(
                blocked <= now,
                blocked.is_(None) & (col(SignInThrottle.window_started_at) <= now - WINDOW),
            ),
        )
        .values(attempts=0, window_started_at=now, blocked_until=None)
    )
    taken = session.execute(
        update(SignInThrottle)
        .where(mine, attempts < one.limit, blocked.is_(None))
        .values(attempts=attempts + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise _Full
    row = session.get(SignInThrottle, one.key, populate_existing=True)
    assert row is not None
    if row.attempts >= one.limit:  # this slot filled the window: the block starts now
        row.blocked_until = now + min(WINDOW * 2**row.level, MAX_BLOCK)
        row.level = min(row.level + 1, 16)


def give_back(db: Database, buckets: Sequence[Bucket]) -> None:
    """Return the slots of a check that did not happen (or of a right password)."""
    with writing(db) as session:
        for one in buckets:
            row = session.get(SignInThrottle, one.key, populate_existing=True)
            if row is None or row.attempts == 0:
                continue
            if row.blocked_until is not None and row.attempts >= one.limit:
                row.blocked_until = None  # the slot that filled the window is the one returned
                row.level = max(row.level - 1, 0)
            row.attempts -= 1


def forget(db: Database, buckets: Sequence[Bucket]) -> None:
    """The owner is in: their account's (or browser's) count starts afresh."""
    with writing(db) as session:
        session.execute(
            delete(SignInThrottle).where(col(SignInThrottle.key).in_([b.key for b in buckets]))
        )


class CheckGate:
    """At most `size` password checks at once in this process."""

    def __init__(self, size: int, *, wait: float = CHECK_WAIT) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self.size = size
        self.wait = wait

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """True while a slot is held; False if none came free within `wait` seconds."""
        got = self._slots.acquire(timeout=self.wait)
        try:
            yield got
        finally:
            if got:
                self._slots.release()
