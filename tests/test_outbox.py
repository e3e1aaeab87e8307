"""The outbox as the sender sees it, on both backends: each client's oldest reply first, one
at a time; on PostgreSQL a reply held by one sender is skipped by another, and a chat sent to
lately (by any process) waits its turn, and every process's sends share Telegram's pace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from storage import Database
from storage.models import Client, OutboxMessage, utcnow
from storage.outbox import SLOTS_PER_SECOND, claim, reserve_send, sendable


def queue(db: Database, chat: str, *texts: str, sent: bool = False) -> int:
    with Session(db.engine) as session:
        client = Client(channel="telegram", external_id=chat, code=f"C{chat}")
        session.add(client)
        session.flush()
        assert client.id is not None
        for words in texts:
            message = OutboxMessage(client_id=client.id, text=words)
            if sent:
                message.status, message.sent_at = "sent", utcnow() - timedelta(seconds=0.2)
            session.add(message)
        session.commit()
        return client.id


def test_each_clients_oldest_reply_is_offered_first(db: Database) -> None:
    a = queue(db, "1", "a1", "a2")
    queue(db, "2", "b1")
    assert [item.text for item in sendable(db, channel="telegram")] == ["a1", "b1"]
    assert [item.text for item in sendable(db, channel="telegram", skip=[a])] == ["b1"]
    assert sendable(db, channel="terminal") == []

    first = claim(db, sendable(db, channel="telegram")[0].id)
    assert first is not None
    first.sent()
    assert [item.text for item in sendable(db, channel="telegram")] == ["a2", "b1"]


@pytest.mark.postgres
def test_a_reply_held_by_one_sender_is_skipped_by_another(postgres_db: Database) -> None:
    queue(postgres_db, "1", "a1", "a2")
    first = sendable(postgres_db, channel="telegram")[0]
    held = claim(postgres_db, first.id)
    assert held is not None
    assert claim(postgres_db, first.id) is None  # another process: skipped, not waited for
    # The client's next reply is not offered while the first is pending.
    assert [item.text for item in sendable(postgres_db, channel="telegram")] == ["a1"]
    held.release()
    again = claim(postgres_db, first.id)
    assert again is not None
    again.sent()


@pytest.mark.postgres
def test_a_chat_sent_to_lately_by_any_process_waits(postgres_db: Database) -> None:
    client = queue(postgres_db, "1", "earlier", sent=True)
    with Session(postgres_db.engine) as session:
        session.add(OutboxMessage(client_id=client, text="next"))
        session.commit()
    assert sendable(postgres_db, channel="telegram", chat_interval=5) == []
    assert [i.text for i in sendable(postgres_db, channel="telegram", chat_interval=0.1)] == [
        "next"
    ]


def test_a_turns_first_message_is_offered_before_later_parts_of_older_turns(
    db: Database,
) -> None:
    a = queue(db, "1", "a1")
    with Session(db.engine) as session:  # the older turn's second part
        session.add(OutboxMessage(client_id=a, text="a2", part=1))
        session.commit()
    first = claim(db, sendable(db, channel="telegram")[0].id)
    assert first is not None
    first.sent()
    queue(db, "2", "b1")  # a newer turn, after a2 was queued
    assert [item.text for item in sendable(db, channel="telegram")] == ["b1", "a2"]


def _fill_slots(db: Database, sent: int, extra: int = 0) -> int:
    """This fifth of a second and the next, by the database's clock, already `sent` full, and
    one more row `extra` fifths in the past when that is set; the current slot."""
    with db.engine.begin() as connection:
        now = connection.execute(
            text("SELECT floor(extract(epoch FROM clock_timestamp()) * :per)::bigint"),
            {"per": SLOTS_PER_SECOND},
        ).scalar_one()
        for slot in (now, now + 1, now + 2):
            connection.execute(
                text("INSERT INTO send_slot (slot, sent) VALUES (:s, :n)"), {"s": slot, "n": sent}
            )
        if extra:
            connection.execute(
                text("INSERT INTO send_slot (slot, sent) VALUES (:s, 1)"), {"s": now - extra}
            )
    return int(now)


def test_a_send_waits_while_the_shared_fifth_of_a_second_is_full(postgres_db: Database) -> None:
    _fill_slots(postgres_db, sent=28 // SLOTS_PER_SECOND)  # what other processes took
    wait = reserve_send(postgres_db, per_second=28)
    assert 0 < wait <= 1 / SLOTS_PER_SECOND + 0.01


def test_a_send_goes_at_once_while_the_fifth_has_room(postgres_db: Database) -> None:
    _fill_slots(postgres_db, sent=28 // SLOTS_PER_SECOND - 1)
    assert reserve_send(postgres_db, per_second=28) == 0.0


def test_counts_older_than_a_minute_are_forgotten(postgres_db: Database) -> None:
    now = _fill_slots(postgres_db, sent=0, extra=61 * SLOTS_PER_SECOND)
    with postgres_db.engine.begin() as connection:
        connection.execute(text("DELETE FROM send_slot WHERE slot >= :s"), {"s": now})
    while reserve_send(postgres_db, per_second=28):  # the first send of a new fifth tidies up
        pass
    with postgres_db.engine.begin() as connection:
        left = connection.execute(text("SELECT min(slot) FROM send_slot")).scalar_one()
    assert left >= now
