"""The durable inbox, on SQLite and PostgreSQL: stored once, taken in each client's order, gone
with the turn that handled it, kept when that turn did not commit, and clean of what a backend
refuses."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from dialogs import Conversation, FlowSet
from prompts import Renderer
from storage import Database, inbox
from storage.inbox import InboxEntry, inbox_turn, storable
from storage.models import InboxMessage, ProcessedUpdate, TranscriptEvent


def entry(chat: str, update_id: int, words: str = "hello", kind: str = "text") -> InboxEntry:
    return InboxEntry(
        channel="telegram", external_id=chat, update_id=update_id, kind=kind, text=words
    )


def waiting(db: Database) -> list[int]:
    with Session(db.engine) as session:
        return list(session.exec(select(InboxMessage.update_id).order_by(col(InboxMessage.id))))


def inbound_texts(db: Database) -> list[str | None]:
    with Session(db.engine) as session:
        query = select(TranscriptEvent.text).where(TranscriptEvent.direction == "in")
        return list(session.exec(query.order_by(col(TranscriptEvent.id))))


def take(db: Database) -> InboxEntry | None:
    """Claim the next update, run an empty turn on it, commit."""
    with inbox_turn(db, locale_for=lambda _: "en", clock=lambda: datetime.now(UTC)) as taken:
        return None if taken is None else taken[0]


def test_an_update_is_stored_once_however_often_it_arrives(db: Database) -> None:
    inbox.store(db, [entry("1", 10), entry("1", 11)])
    inbox.store(db, [entry("1", 10), entry("2", 12)])  # a redelivery, and a second poller
    assert waiting(db) == [10, 11, 12]


def test_turns_are_taken_in_each_clients_order_and_leave_the_inbox(db: Database) -> None:
    inbox.store(db, [entry("1", 10), entry("2", 11), entry("1", 12)])
    taken = [take(db) for _ in range(4)]
    assert [e.update_id if e else None for e in taken] == [10, 11, 12, None]
    assert waiting(db) == []


def test_text_a_backend_refuses_is_cleaned_before_it_is_stored(
    db: Database, flows: FlowSet
) -> None:
    conversation = Conversation(db, flows, Renderer())
    inbox.store(db, [entry("1", 1, "/start", kind="command")])
    conversation.handle_next()
    inbox.store(db, [entry("1", 2, "Yes, that's OK"), entry("1", 3, "No, thank you")])
    conversation.handle_next(), conversation.handle_next()
    inbox.store(db, [entry("1", 4, "before\x00after \ud800 end")])

    taken = conversation.handle_next()

    assert taken is not None and taken[1].replies
    assert storable("a\x00b\udfffc") == "abc"
    assert "beforeafter  end" in inbound_texts(db)


def test_a_turn_that_did_not_commit_is_taken_again(db: Database) -> None:
    inbox.store(db, [entry("1", 10)])
    with (
        pytest.raises(RuntimeError),
        inbox_turn(db, locale_for=lambda _: "en", clock=lambda: datetime.now(UTC)) as taken,
    ):
        assert taken is not None
        taken[1].mark_processed("telegram", 10)
        raise RuntimeError("the process died here")
    assert waiting(db) == [10]
    with Session(db.engine) as session:
        assert session.exec(select(ProcessedUpdate)).all() == []  # nothing of it committed
    taken_again = take(db)
    assert taken_again is not None and taken_again.update_id == 10


def test_an_update_that_always_fails_is_set_aside_after_a_few_turns(db: Database) -> None:
    inbox.store(db, [entry("1", 10), entry("1", 11)])
    for _ in range(inbox.MAX_TURN_ATTEMPTS):
        with (
            pytest.raises(ValueError),
            inbox_turn(db, locale_for=lambda _: "en", clock=lambda: datetime.now(UTC)),
        ):
            raise ValueError("a bug in a flow")
    assert waiting(db) == [11]  # the client's next update is not held up for ever


def test_a_redelivered_update_after_its_turn_is_a_no_op(db: Database, flows: FlowSet) -> None:
    conversation = Conversation(db, flows, Renderer())
    inbox.store(db, [entry("1", 1, "/start", kind="command")])
    first = conversation.handle_next()
    inbox.store(db, [entry("1", 1, "/start", kind="command")])  # Telegram missed our offset

    again = conversation.handle_next()

    assert first is not None and first[1].replies
    assert again is not None and again[1].duplicate and not again[1].replies
    assert waiting(db) == []


@pytest.mark.postgres
def test_two_processes_never_take_one_clients_updates_at_once(postgres_db: Database) -> None:
    """While one claim holds client 1's first update, another finds client 2's, never client
    1's second; once the first commits, the second is free."""
    db = postgres_db
    inbox.store(db, [entry("1", 10), entry("1", 11), entry("2", 12)])
    holding, release = threading.Event(), threading.Event()

    def slow_turn() -> int | None:
        now = datetime.now(UTC)
        with inbox_turn(db, locale_for=lambda _: "en", clock=lambda: now) as taken:
            holding.set()
            release.wait(10)
            return taken[0].update_id if taken else None

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(slow_turn)
        assert holding.wait(10)
        meanwhile = [take(db), take(db)]
        release.set()
        assert first.result() == 10
    assert [e.update_id if e else None for e in meanwhile] == [12, None]
    last = take(db)
    assert last is not None and last.update_id == 11


def test_a_failed_statement_names_no_values(db: Database) -> None:
    """`hide_parameters`: the error (and so any traceback in a log) holds no client text."""
    words = "some very private words"
    with pytest.raises(DBAPIError) as failure, db.engine.begin() as connection:
        connection.execute(text("INSERT INTO no_such_table VALUES (:words)"), {"words": words})
    assert words not in str(failure.value)
