"""Consent and data rights on both backends: nothing kept before consent but the answer,
/mydata sends everything stored as JSON, /forget erases everything (transcript included) and
the next message starts afresh; a stale or double tap on /forget's buttons does no harm."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from dialogs import Conversation, FlowSet
from dialogs.engine import CONSENT_VERSION
from prompts import Renderer
from storage import Database
from storage.client_data import NOT_EXPORTED, client_tables
from storage.models import Client
from tests.harness import TestClient


def talk(db: Database, flows: FlowSet, renderer: Renderer, who: str = "client-1") -> TestClient:
    return TestClient(Conversation(db, flows, renderer), who=who)


def consent_and_share(client: TestClient) -> None:
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("Yes, they may read it")
    client.say("my drinking at weekends")
    client.say("to wake up without a headache")
    client.say("six pints on Friday and Saturday")


def client_row(db: Database, who: str) -> Client | None:
    with Session(db.engine) as session:
        found = session.execute(select(Client).where(Client.external_id == who)).scalars()
        return found.first()


def rows_per_table(db: Database, client_id: int) -> dict[str, int]:
    with Session(db.engine) as session:
        return {
            t.name: int(
                session.execute(
                    select(func.count()).select_from(t).where(t.c.client_id == client_id)
                ).scalar_one()
            )
            for t in client_tables()
        }


def everything_stored(db: Database) -> str:
    """Every value in every table, as one text to search."""
    with Session(db.engine) as session:
        return repr(
            [list(session.execute(select(t)).all()) for t in SQLModel.metadata.sorted_tables]
        )


def test_before_consent_nothing_the_client_writes_is_kept(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    client = talk(db, flows, renderer)
    client.say("/start")
    client.say("my secret words about heroin")
    client.tap("No, not now")
    client.say("still my secret words")
    stored = everything_stored(db)
    assert "secret words" not in stored
    row = client_row(db, "client-1")
    assert row is not None and (row.consent, row.consent_version) == ("declined", CONSENT_VERSION)
    counts = rows_per_table(db, row.id or 0)
    assert counts["transcript_event"] == 0 and counts["goal"] == 0


def test_client_tables_are_every_table_with_a_client_id() -> None:
    names = {t.name for t in client_tables()}
    every = {t.name for t in SQLModel.metadata.sorted_tables if "client_id" in t.c}
    assert names == every and {"transcript_event", "goal", "outbox", "safety_event"} <= names
    # Children come after their parents, so erasing in reverse keeps foreign keys whole.
    order = [t.name for t in client_tables()]
    assert order.index("transcript_event") < order.index("safety_event")


def test_mydata_sends_everything_stored_as_a_json_document(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    client = talk(db, flows, renderer)
    consent_and_share(client)
    before = client_row(db, "client-1")
    assert before is not None and before.id is not None
    counts = rows_per_table(db, before.id)
    client.say("/mydata")
    (file_reply, question) = client.last
    assert "Here is everything I keep about you" in file_reply.text
    assert "What does drinking give you?" in question.text
    assert file_reply.attachment is not None
    kind, filename, content = file_reply.attachment
    row = client_row(db, "client-1")
    assert row is not None and row.id == before.id
    assert (kind, filename) == ("document", f"alongside-{row.code}.json")
    data: dict[str, Any] = json.loads(content)
    assert data["client"]["code"] == row.code and data["client"]["review_consent"] is True
    assert set(data["tables"]) == {t.name for t in client_tables()} - NOT_EXPORTED
    said = [e["text"] for e in data["tables"]["transcript_event"] if e["direction"] == "in"]
    assert "six pints on Friday and Saturday" in said
    assert data["tables"]["dialog_state"][0]["state"] == "good"
    # Every row stored about the client is in the file; the export is made during the /mydata
    # turn, after its update was marked as processed and before anything else was written.
    counts["processed_update"] += 1
    for name in NOT_EXPORTED:
        counts.pop(name)
    assert {name: len(rows) for name, rows in data["tables"].items()} == counts


def test_forget_asks_first_and_no_keeps_everything(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    client = talk(db, flows, renderer)
    consent_and_share(client)
    row = client_row(db, "client-1")
    assert row is not None and row.id is not None
    before = rows_per_table(db, row.id)
    client.say("/forget")
    assert client.buttons == ["Yes, erase everything", "No, keep it"]
    client.tap("No, keep it")
    assert "OK, nothing is erased." in client.text
    assert "What does drinking give you?" in client.text
    after = rows_per_table(db, row.id)
    assert after["transcript_event"] > before["transcript_event"] and after["goal"] == 0


def test_forget_erases_everything_and_the_next_message_starts_afresh(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    client = talk(db, flows, renderer)
    consent_and_share(client)
    client.say("/menu")
    client.tap("Thinking about change")
    client.tap("Make it safer")
    client.say("water between pints")
    client.tap("7")
    old = client_row(db, "client-1")
    assert old is not None and old.id is not None
    stored = rows_per_table(db, old.id)
    assert stored["transcript_event"] > 0 and stored["goal"] == 1 and stored["ruler_score"] == 1

    client.say("/forget")
    confirm = client.button_data("Yes, erase everything")
    client.tap("Yes, erase everything")
    assert f"• messages in our conversation: {stored['transcript_event'] + 2}" in client.text
    assert "• goals and steps: 1" in client.text
    assert "• answers on the 0 to 10 scales: 1" in client.text
    assert "we start afresh" in client.text

    stored_now = everything_stored(db)
    assert "water between pints" not in stored_now and "six pints" not in stored_now
    assert old.code not in stored_now
    # A new client at the same address (SQLite may reuse the numeric id, never the code),
    # holding only the reply that says what was erased.
    fresh = client_row(db, "client-1")
    assert fresh is not None and fresh.id is not None and fresh.code != old.code
    assert (fresh.consent, fresh.review_consent) == ("pending", False)
    # With a data key, that reply is sealed with the new client's own new key.
    reply = {"outbox": 1, "client_key": int(db.keys.enabled)}
    assert rows_per_table(db, fresh.id) == {**dict.fromkeys(stored, 0), **reply}

    # A double tap of the same button: nothing more to erase, and a fresh welcome.
    client.press(confirm)
    assert "Is it OK for me to keep our conversation?" in client.text
    again = client_row(db, "client-1")
    assert again is not None and again.id == fresh.id
    client.tap("Yes, that's OK")
    assert "may the counselors who support this service read our conversation?" in client.text


def test_a_stale_forget_button_erases_nothing(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    client = talk(db, flows, renderer)
    consent_and_share(client)
    client.say("/forget")
    confirm = client.button_data("Yes, erase everything")
    client.tap("No, keep it")
    client.press(confirm)  # the old keyboard, tapped later
    assert client.last == [] and client.last_outcome is not None
    assert client.last_outcome.notice is not None
    row = client_row(db, "client-1")
    assert row is not None and row.id is not None
    assert rows_per_table(db, row.id)["transcript_event"] > 0


def test_forget_leaves_other_clients_alone(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    sam, kim = talk(db, flows, renderer, "sam"), talk(db, flows, renderer, "kim")
    consent_and_share(sam)
    consent_and_share(kim)
    kim_row = client_row(db, "kim")
    assert kim_row is not None and kim_row.id is not None
    before = rows_per_table(db, kim_row.id)
    sam.say("/forget")
    sam.tap("Yes, erase everything")
    assert rows_per_table(db, kim_row.id) == before
    kim.say("it's fun with my brother")
    assert "any less good things about it?" in kim.text
