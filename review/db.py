"""Transactions of the dashboard that write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from storage import Database


@contextmanager
def writing(db: Database) -> Iterator[Session]:
    """One write transaction. On SQLite it takes the write lock at BEGIN (BEGIN IMMEDIATE),
    waiting its turn beside the bot, so a read followed by a write never fails because another
    writer committed in between."""
    with db.engine.connect() as connection:
        if db.is_sqlite:
            connection = connection.execution_options(immediate=True)
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            yield session
