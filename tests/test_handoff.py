"""A person from the team steps into the chat (issue 12), on the engine: asking for a person in
the client's own voice, the yes that lets a counselor in, holding the chat (the bot quiet, the
check-ins standing aside, the safety screen still first), handing back, the idle end, and the
honest answer out of hours. The counselor's side is storage/handoff.py, as the dashboard
calls it; the dashboard and Telegram end to end are in tests/test_review_handoff.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from dialogs import Conversation
from dialogs.hours import ServiceHours
from dialogs.rhythm import ShiftedClock
from prompts import Renderer
from storage import Database
from storage import handoff as handoffs
from storage.models import Client, Handoff, TranscriptEvent
from storage.review_models import AuditEntry
from tests.harness import TestClient

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday, in the team's hours
SATURDAY_10 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
IDLE = timedelta(minutes=20)


def talk(db: Database, flows, renderer: Renderer, at: datetime = MONDAY_10) -> TestClient:  # type: ignore[no-untyped-def]
    clock = ShiftedClock(base=lambda: at)
    hours = ServiceHours.parse("Mon-Fri 09:00-17:00", "Europe/London")
    return TestClient(Conversation(db, flows, renderer, clock=clock, hours=hours))


def consented(client: TestClient, *, review: bool = True) -> TestClient:
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("Yes, they may read it" if review else "No, thank you")
    return client


def client_id(db: Database) -> int:
    with Session(db.engine) as session:
        found = session.exec(select(Client.id)).one()
        assert found is not None
        return found


def status(db: Database) -> list[tuple[str, str | None]]:
    with Session(db.engine) as session:
        rows = session.exec(select(Handoff).order_by(col(Handoff.id))).all()
        return [(row.status, row.end_reason) for row in rows]


class Counselor:
    """The dashboard's side of a handoff, at the conversation's clock."""

    def __init__(self, db: Database, client: TestClient, name: str = "casey") -> None:
        self.db, self.client, self.name = db, client, name

    def now(self) -> datetime:
        return self.client.conversation.clock()

    def takes_over(self) -> None:
        with self.db.write_session() as session:
            handoffs.take(session, client_id(self.db), self.name, self.now(), IDLE)

    def writes(self, words: str) -> None:
        with self.db.write_session() as session:
            html = f"<b>{self.name}:</b> {words}"
            handoffs.write(
                session,
                client_id(self.db),
                self.name,
                text=words,
                html=html,
                now=self.now(),
                idle=IDLE,
            )

    def hands_back(self) -> None:
        with self.db.write_session() as session:
            handoffs.hand_back(session, client_id(self.db), self.name, self.now())

    def offers(self) -> None:
        with self.db.write_session() as session:
            handoffs.offer(session, client_id(self.db), self.name, self.now())


@pytest.mark.parametrize(
    "asking",
    [
        "can i talk to a real person",
        "is this a bot",
        "i want a human",
        "can i speak to someone real",
        "can i tlak to a real persn pls",
        "I WANT A HUMAN",
        "r u a bot",
        "get me a human",
        "can u get someone real to text me",
        "is there an actual person i can talk to??",
    ],
)
def test_asking_for_a_person_in_the_clients_own_voice_gets_the_offer(
    sqlite_db: Database, flows, renderer: Renderer, asking: str
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    alex.say(asking)
    assert "Someone from the team can write to you here" in alex.text
    assert alex.buttons == ["Yes, a person can write", "No, carry on here"]
    assert status(sqlite_db) == []  # nothing asked of the team until they say yes


@pytest.mark.parametrize(
    "talking",
    [
        "i feel like such a bad person",
        "my counsellor says i drink too much",
        "i dont want to talk to a real person",
        "what can you do",
        "i drink with people from work",
        "just want someone to talk to",
    ],
)
def test_words_about_people_that_do_not_ask_for_one_get_no_offer(
    sqlite_db: Database, flows, renderer: Renderer, talking: str
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    alex.say(talking)
    assert "Yes, a person can write" not in alex.buttons
    assert "can write to you here" not in alex.text


def test_yes_queues_a_request_in_hours_and_the_conversation_carries_on(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    question = alex.history[-1].text.splitlines()[-1]  # what the bot asked last
    alex.say("can i talk to a real person")
    alex.tap("Yes, a person can write")
    assert "someone will write to you here as soon as they can" in alex.text
    assert alex.text.endswith(question)  # and back where they were
    assert status(sqlite_db) == [("waiting", None)]
    alex.say("can i talk to a real person??")  # asking again: it is asked already
    assert "You've asked for a person already" in alex.text


def test_no_asks_nothing_of_the_team(sqlite_db: Database, flows, renderer: Renderer) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    alex.say("i want a human")
    alex.say("nah")  # typed, not tapped
    assert "it's your choice" in alex.text
    assert status(sqlite_db) == []


def test_out_of_hours_the_answer_says_when_someone_will_read_it_and_sos(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer, at=SATURDAY_10))
    alex.say("can i speak to someone real")
    alex.tap("Yes, a person can write")
    assert "nobody is in right now" in alex.text
    assert "Mon-Fri 09:00-17:00 (Europe/London time)" in alex.text
    assert "on Monday at 09:00" in alex.text
    assert "/sos" in alex.text
    assert status(sqlite_db) == [("waiting", None)]  # queued for Monday all the same


def test_without_counselor_review_a_person_cannot_write_and_the_bot_says_why(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer), review=False)
    alex.say("can i talk to a real person")
    assert "only write to you here if counselors may read our conversation" in alex.text
    assert "/privacy" in alex.text
    assert status(sqlite_db) == []


def test_a_counselor_cannot_take_over_before_the_client_agreed(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    casey = Counselor(sqlite_db, alex)
    with pytest.raises(handoffs.HandoffRefused):
        casey.takes_over()
    casey.offers()
    with pytest.raises(handoffs.HandoffRefused):  # offered, not yet agreed
        casey.takes_over()


def test_holding_the_chat_the_bot_is_quiet_and_hands_back_where_it_was(
    db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(db, flows, renderer))
    question = alex.history[-1].text.splitlines()[-1]  # what the bot asked last
    alex.say("can i talk to a real person")
    alex.tap("Yes, a person can write")
    casey = Counselor(db, alex)
    casey.takes_over()
    assert alex.say("hi is anyone there") == []  # for the person: the bot says nothing
    casey.writes("Hi, I'm Casey. I've read what you wrote.")
    replies = alex.say("thanks. its the evenings that are hard")
    assert [said.text for said in replies] == ["casey: Hi, I'm Casey. I've read what you wrote."]
    assert status(db) == [("held", None)]
    casey.hands_back()
    back = alex.wait(timedelta(seconds=1))
    assert "casey has handed the chat back to me" in back[0].text
    assert back[-1].text.endswith(question)  # the bot resumes where it was
    assert status(db) == [("ended", "handed_back")]
    with Session(db.engine) as session:
        said = session.exec(
            select(TranscriptEvent.direction, TranscriptEvent.author, TranscriptEvent.text)
            .where(col(TranscriptEvent.kind).in_(["text", "person"]))
            .order_by(col(TranscriptEvent.id))
        ).all()
    assert said[-3:] == [
        ("in", None, "hi is anyone there"),
        ("out", "casey", "Hi, I'm Casey. I've read what you wrote."),
        ("in", None, "thanks. its the evenings that are hard"),
    ]


def test_the_safety_screen_still_runs_while_a_person_holds_the_chat(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    alex.say("i want a human")
    alex.tap("Yes, a person can write")
    Counselor(sqlite_db, alex).takes_over()
    alex.say("i took all my pills and i cant wake up properly")
    assert alex.last, "a safety message is answered at once, held chat or not"
    assert alex.last_outcome is not None and alex.last_outcome.safety_events


def test_a_hold_nobody_writes_in_ends_by_itself(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    question = alex.history[-1].text.splitlines()[-1]  # what the bot asked last
    alex.say("can i talk to a real person")
    alex.tap("Yes, a person can write")
    casey = Counselor(sqlite_db, alex)
    casey.takes_over()
    assert alex.wait("15m") == []
    casey.writes("Still here, just reading back.")  # the idle time starts again
    assert alex.wait("10m") == []  # 25 minutes in, 10 since casey wrote
    assert status(sqlite_db) == [("held", None)]
    back = alex.wait("11m")  # casey's message reaches the client's chat too, before this
    assert "casey hasn't written for a while" in back[-1].text
    assert back[-1].text.endswith(question)
    assert status(sqlite_db) == [("ended", "idle")]
    with Session(sqlite_db.engine) as session:
        steps = session.exec(select(AuditEntry.actor, AuditEntry.action)).all()
    assert list(steps) == [("client", "said yes to a person"), ("bot", "handoff ended (idle)")]


def test_check_ins_stand_aside_while_a_person_holds_the_chat(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    alex.say("/checkin")  # a check-in now, by hand, shows check-ins work here
    assert alex.last
    alex.say("i want a human")
    alex.tap("Yes, a person can write")
    Counselor(sqlite_db, alex).takes_over()
    assert alex.say("/urge") != []  # a command is still answered
    assert alex.wait("3m") == []  # but no urge step comes while the person holds the chat


def test_a_counselors_offer_is_asked_in_the_bot_and_a_yes_lets_them_in(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    casey = Counselor(sqlite_db, alex)
    casey.offers()
    offer = alex.wait(timedelta(seconds=1))
    assert "Someone from the team, casey, would like to write to you here" in offer[-1].text
    alex.tap("Yes, a person can write")
    assert status(sqlite_db) == [("waiting", None)]
    casey.takes_over()
    assert status(sqlite_db) == [("held", None)]


def test_turning_counselor_review_off_ends_the_hold(
    sqlite_db: Database, flows, renderer: Renderer
) -> None:  # type: ignore[no-untyped-def]
    alex = consented(talk(sqlite_db, flows, renderer))
    alex.say("i want a human")
    alex.tap("Yes, a person can write")
    Counselor(sqlite_db, alex).takes_over()
    alex.say("/privacy")
    alex.tap("Keep it from counselors")
    assert status(sqlite_db) == [("ended", "withdrawn")]
