"""The quick diary: after "some" or "a lot", how much or how long in the client's own words
(or Skip), kept in that day's one use note, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from dialogs import Conversation
from dialogs.registry import DIARY_WORDS_LIMIT
from dialogs.rhythm import ShiftedClock
from prompts import Renderer
from storage import Database
from storage.models import DiaryEntry
from tests.harness import TestClient

START = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
HOSTILE = '<b>3 beers</b> <a href="javascript:alert(1)">x</a> {{ 7*7 }} {% raw %} ' + "x" * 10_000


def notes(db: Database) -> list[DiaryEntry]:
    with Session(db.engine) as session:
        return list(session.exec(select(DiaryEntry).order_by(DiaryEntry.id)).all())  # type: ignore[arg-type]


def at_the_diary(db: Database, flows, renderer: Renderer, start: datetime = START) -> TestClient:  # type: ignore[no-untyped-def]
    conversation = Conversation(db, flows, renderer, clock=ShiftedClock(base=lambda: start))
    client = TestClient(conversation, who="kit")
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("No, thank you")
    client.say("/menu")
    client.tap("A quick note about today")
    return client


def test_the_amount_in_their_words_lands_in_the_one_use_note(
    db: Database,
    flows,
    renderer: Renderer,  # type: ignore[no-untyped-def]
) -> None:
    client = at_the_diary(db, flows, renderer)
    client.tap("A lot")
    assert "how much of it was there today, or for how long?" in client.text
    assert client.buttons == ["Skip"]
    client.say("about 2 hours of gaming")
    assert "A lot today, “about 2 hours of gaming”: noted, just as you put it." in client.text
    assert "did you do something today that matters to you?" in client.text
    client.tap("Not today")
    use = [(n.kind, n.value, n.words) for n in notes(db) if n.kind == "use"]
    assert use == [("use", "a_lot", "about 2 hours of gaming")]
    client.say("/mydata")  # their words are in the export, with the note they belong to
    attachment = client.last[0].attachment
    assert attachment is not None
    exported = json.loads(attachment[2])["tables"]["diary_entry"]
    assert [(e["kind"], e["value"], e["words"]) for e in exported if e["kind"] == "use"] == use


def test_skip_and_a_typed_amount_bucket_keep_working(
    db: Database,
    flows,
    renderer: Renderer,  # type: ignore[no-untyped-def]
) -> None:
    client = at_the_diary(db, flows, renderer)
    client.say("some")  # typed at the bucket question: matched to the button, as before
    client.tap("Skip")
    assert "Some today: noted, just as it was." in client.text
    client.tap("Not today")
    assert [(n.kind, n.value, n.words) for n in notes(db)] == [
        ("use", "some", None),
        ("activity", "none", None),
    ]


def test_hostile_words_are_kept_bounded_and_said_back_inert(
    db: Database,
    flows,
    renderer: Renderer,  # type: ignore[no-untyped-def]
) -> None:
    client = at_the_diary(db, flows, renderer)
    client.tap("Some")
    client.say(HOSTILE)
    reflection = client.last[0]
    assert "&lt;b&gt;3 beers&lt;/b&gt;" in reflection.html and "<a href" not in reflection.html
    assert "{{ 7*7 }}" in reflection.text and "49" not in reflection.text
    assert len(reflection.text) < 300  # quoted short
    (use,) = [n for n in notes(db) if n.kind == "use"]
    assert use.value == "some" and use.words is not None
    assert len(use.words) == DIARY_WORDS_LIMIT and use.words.startswith('<b>3 beers</b> <a href="')
    assert "did you do something today that matters to you?" in client.text


def test_words_given_after_midnight_still_belong_to_the_note_they_finish(
    db: Database,
    flows,
    renderer: Renderer,  # type: ignore[no-untyped-def]
) -> None:
    client = at_the_diary(db, flows, renderer, start=datetime(2026, 12, 1, 23, 50, tzinfo=UTC))
    client.tap("Some")
    client.wait("20m")
    client.say("two glasses of wine")
    client.tap("Not today")
    assert [(n.day.day, n.kind, n.value, n.words) for n in notes(db)] == [
        (1, "use", "some", "two glasses of wine"),
        (1, "activity", "none", None),
    ]
