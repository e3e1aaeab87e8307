"""Clients for the dashboard tests, made the real way: conversations through the engine.
Only the safety event is written directly, as the safety flow (issue 3) records it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from dialogs import Conversation, load_flows
from dialogs.engine import REQUIRED_FLOWS
from prompts import Renderer
from review import accounts
from storage import Database
from storage.models import Client, RulerScore, SafetyEvent, TranscriptEvent
from tests.harness import TestClient

HOSTILE = (
    '<script>alert("x")</script> <img src=x onerror="alert(1)"> '
    '<a href="javascript:alert(2)">click</a> {{ 7*7 }} {% raw %}'
)
CRISIS = "some nights I think everyone would be better off without me"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Seeded:
    flagged: str  # a whole conversation, and a safety event
    hostile: str  # wrote markup and template syntax
    private: str  # consented, but not to counselor review
    declined: str  # declined consent


def conversation(db: Database) -> Conversation:
    renderer = Renderer()
    return Conversation(db, load_flows(renderer, required=REQUIRED_FLOWS), renderer)


def _start(chat: TestClient, *, review: bool) -> None:
    chat.say("/start")
    chat.tap("Yes, that's OK")
    chat.tap("Yes, they may read it" if review else "No, thank you")


def seed(db: Database) -> Seeded:
    talk = conversation(db)
    river = TestClient(talk, "river")
    _start(river, review=True)
    for words in (
        "My drinking has crept up and I want to look at it",
        "to feel more in control of my evenings",
        "four or five beers most evenings after work",
        "it helps me switch off after work",
        "I sleep badly and it costs a lot",
    ):
        river.say(words)
    river.tap("Yes")
    river.tap("Less of it")
    river.say("no more than two beers on weeknights")
    river.tap("No, thanks")  # the information on stopping alcohol safely, offered first
    river.tap("7")
    river.say("I want to sleep properly again")
    river.say("seeing my sleep get better")
    river.say("5")
    river.say(CRISIS)

    hostile = TestClient(talk, "hostile")
    _start(hostile, review=True)
    hostile.say(HOSTILE)

    private = TestClient(talk, "private")
    _start(private, review=False)
    private.say("My drinking has crept up and I want to look at it")

    declined = TestClient(talk, "declined")
    declined.say("/start")
    declined.tap("No, not now")

    codes = {}
    with Session(db.engine) as session, session.begin():
        for client in session.exec(select(Client)).all():
            codes[client.external_id] = client.code
        river_id = session.exec(select(Client.id).where(Client.external_id == "river")).one()
        # Matched here, not in SQL: with a data key the stored text is sealed.
        crisis = next(
            e
            for e in session.exec(
                select(TranscriptEvent)
                .where(TranscriptEvent.client_id == river_id)
                .order_by(col(TranscriptEvent.id).desc())
            ).all()
            if e.text == CRISIS
        )
        # The safety screen saw the message and recorded the event, linked to it.
        event = session.exec(
            select(SafetyEvent).where(SafetyEvent.transcript_event_id == crisis.id)
        ).one()
        assert event.category == "suicide"
        # Check-ins from earlier weeks (what issue 5's check-ins record), for the chart.
        first = session.exec(select(RulerScore).where(RulerScore.client_id == river_id)).first()
        assert first is not None
        for weeks, importance, confidence in ((3, 4, 2), (2, 5, 3), (1, 6, 4)):
            at = first.created_at - timedelta(weeks=weeks)
            session.add(
                RulerScore(client_id=river_id, ruler="importance", score=importance, created_at=at)
            )
            session.add(
                RulerScore(client_id=river_id, ruler="confidence", score=confidence, created_at=at)
            )
    return Seeded(codes["river"], codes["hostile"], codes["private"], codes["declined"])


def add_accounts(db: Database) -> None:
    accounts.add(db, "casey", PASSWORD, role="counselor", actor="test", address="local")
    accounts.add(db, "ada", PASSWORD, role="admin", actor="test", address="local")
