"""The storage contract, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, select

from storage import Database
from storage.database import CLIENT_CODE_LENGTH, lock_key
from storage.models import Client, DialogState, Goal, TranscriptEvent


def test_migrations_are_idempotent_and_match_the_models(db: Database) -> None:
    db.migrate()  # a second upgrade is a no-op
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_a_turn_commits_everything_together(db: Database) -> None:
    with db.turn("test", "42") as turn:
        turn.save_dialog("agenda", "topic", {"words": {"topic": "sleep"}})
        turn.set_goal("change", "less on weeknights", "less")
        turn.record_score("importance", 7)
        turn.log_inbound(kind="text", text="hi", choice=None, flow="agenda", state="topic")
        turn.queue_reply(
            text="Hello",
            choices=[{"data": "1:yes", "label": "Yes"}],
            template="agenda/topic",
            mi_code="OQ",
            flow="agenda",
            state="topic",
            record=True,
        )
        client_id = turn.client.id
    with db.turn("test", "42") as turn:
        assert turn.client.id == client_id
        assert turn.dialog is not None
        assert (turn.dialog.flow, turn.dialog.state, turn.dialog.version) == ("agenda", "topic", 0)
        assert turn.dialog.context == {"words": {"topic": "sleep"}}
        assert turn.current_goals()["change"].words == "less on weeknights"
    [item] = db.pending_outbox(client_id=client_id)
    assert (item.text, item.choices, item.external_id) == ("Hello", (("1:yes", "Yes"),), "42")


def test_nested_context_changes_are_saved(db: Database) -> None:
    with db.turn("test", "1") as turn:
        turn.save_dialog("agenda", "topic", {"words": {"topic": "sleep"}})
    with db.turn("test", "1") as turn:
        assert turn.dialog is not None
        context = turn.dialog.context
        context["words"]["subject"] = "drinking"  # changed in place, one level down
        turn.save_dialog("agenda", "hopes", context)
    with db.turn("test", "1") as turn:
        assert turn.dialog is not None
        assert turn.dialog.context == {"words": {"topic": "sleep", "subject": "drinking"}}


def test_a_failed_turn_writes_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.turn("test", "7") as turn:
        turn.save_dialog("agenda", "topic", {})
        turn.queue_reply(
            text="lost",
            choices=[],
            template="t",
            mi_code="ST",
            flow="agenda",
            state="topic",
            record=True,
        )
        raise RuntimeError("crash before commit")
    assert db.count_clients() == 0
    assert db.pending_outbox() == []


def test_goals_keep_their_history(db: Database) -> None:
    with db.turn("test", "1") as turn:
        turn.set_goal("first_step", "no beer on Monday")
    with db.turn("test", "1") as turn:
        turn.set_goal("first_step", "one beer on Monday")
        assert {k: g.words for k, g in turn.current_goals().items()} == {
            "first_step": "one beer on Monday"
        }
    with Session(db.engine) as session:
        rows = session.exec(select(Goal).order_by(Goal.id)).all()  # type: ignore[arg-type]
    assert [(g.words, g.status) for g in rows] == [
        ("no beer on Monday", "replaced"),
        ("one beer on Monday", "active"),
    ]
    assert rows[0].replaced_at is not None and rows[0].replaced_at.tzinfo is not None


def test_the_transcript_is_append_only(db: Database) -> None:
    with db.turn("test", "1") as turn:
        turn.log_inbound(kind="text", text="my words", choice=None, flow="f", state="s")
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(text("UPDATE transcript_event SET text = 'rewritten'"))
    with Session(db.engine) as session:
        assert session.exec(select(TranscriptEvent.text)).one() == "my words"


def test_update_ids_are_remembered(db: Database) -> None:
    with db.turn("telegram", "5") as turn:
        assert not turn.already_processed("telegram", 2**40)
        turn.mark_processed("telegram", 2**40)  # update ids outgrow 32 bits
    with db.turn("telegram", "5") as turn:
        assert turn.already_processed("telegram", 2**40)
        assert not turn.already_processed("terminal", 2**40)


def test_outbox_delivery_and_an_unreachable_client(db: Database) -> None:
    for who in ("a", "b"):
        with db.turn("telegram", who) as turn:
            for n in range(2):
                turn.queue_reply(
                    text=f"{who}{n}",
                    choices=[],
                    template="t",
                    mi_code="ST",
                    flow="f",
                    state="s",
                    record=False,
                )
    first, *_ = db.pending_outbox()
    db.mark_sent(first.id)
    assert [i.text for i in db.pending_outbox()] == ["a1", "b0", "b1"]
    db.mark_unreachable(first.client_id)
    assert [i.text for i in db.pending_outbox()] == ["b0", "b1"]
    db.mark_failed_attempt(db.pending_outbox()[0].id, max_attempts=2)
    assert [i.text for i in db.pending_outbox()] == ["b0", "b1"]
    db.mark_failed_attempt(db.pending_outbox()[0].id, max_attempts=2)
    assert [i.text for i in db.pending_outbox()] == ["b1"]
    with db.turn("telegram", "a") as turn:  # they wrote again: reachable again
        assert turn.client.id == first.client_id
    with Session(db.engine) as session:
        assert session.get(Client, first.client_id).unreachable is False  # type: ignore[union-attr]


def test_clients_get_distinct_pseudonymous_codes(db: Database) -> None:
    codes = set()
    for n in range(30):
        with db.turn("telegram", str(n)) as turn:
            codes.add(turn.client.code)
    assert len(codes) == 30
    assert all(re.fullmatch(f"[A-Z2-9]{{{CLIENT_CODE_LENGTH}}}", c) for c in codes)


def test_times_come_back_aware_and_in_utc(db: Database) -> None:
    with db.turn("test", "1") as turn:
        turn.save_dialog("f", "s", {})
    with Session(db.engine) as session:
        row = session.exec(select(DialogState)).one()
    assert row.updated_at.tzinfo is not None
    assert row.updated_at.utcoffset() == UTC.utcoffset(None)


def test_lock_keys_are_stable_signed_64_bit_numbers() -> None:
    key = lock_key("telegram", "123")
    assert key == lock_key("telegram", "123") != lock_key("telegram", "124")
    assert -(2**63) <= key < 2**63
