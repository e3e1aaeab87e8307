"""The engine with awkward input: old and unknown buttons, double taps, redelivered updates,
long and hostile texts, a state that no longer exists, and clients writing at the same time."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, col, select

from dialogs import Conversation, FlowSet, Inbound, InboundKind, TurnOutcome
from prompts import TELEGRAM_MESSAGE_LIMIT, Renderer
from storage import Database
from storage.models import DialogState, OutboxMessage, TranscriptEvent
from tests.harness import TestClient


def consented(conversation: Conversation, who: str = "client-1") -> TestClient:
    client = TestClient(conversation, who=who)
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("Yes, they may read it")
    return client


def transcript(db: Database) -> list[TranscriptEvent]:
    with Session(db.engine) as session:
        return list(session.exec(select(TranscriptEvent).order_by(col(TranscriptEvent.id))).all())


def dialog(db: Database) -> DialogState:
    with Session(db.engine) as session:
        return session.exec(select(DialogState)).one()


def test_a_double_tap_is_answered_quietly_and_changes_nothing(conversation: Conversation) -> None:
    client = TestClient(conversation)
    client.say("/start")
    agree = client.button_data("Yes, that's OK")
    client.press(agree)
    before = dialog(conversation.db)
    assert client.press(agree) == []
    assert client.last_outcome is not None
    assert client.last_outcome.notice == "That question has already been answered."
    after = dialog(conversation.db)
    assert (after.flow, after.state) == (before.flow, before.state) == ("welcome", "review")


def test_an_unknown_button_gets_a_hint_and_the_buttons_again(conversation: Conversation) -> None:
    client = TestClient(conversation)
    client.say("/start")
    question = client.button_data("Yes, that's OK").split(":")[0]
    client.press(f"{question}:launch_rockets")
    assert "That button doesn't belong to this question." in client.text
    assert client.buttons == ["Yes, that's OK", "Tell me more first", "No, not now"]


def test_forged_callback_data_is_treated_as_an_old_button(conversation: Conversation) -> None:
    client = TestClient(conversation)
    client.say("/start")
    for forged in ["", ":", "💥" * 40, "999999:agree", "{{ 7*7 }}:agree"]:
        assert client.press(forged) == []
    assert dialog(conversation.db).state == "consent"


def test_a_button_from_an_older_question_cannot_skip_ahead(conversation: Conversation) -> None:
    client = consented(conversation)
    client.say("/menu")
    client.tap("Thinking about change")
    client.tap("Less of it")
    client.say("less on weeknights")
    client.tap("7")
    old_scale = client.button_data("7")
    client.say("it matters for my sleep")
    client.say("feeling rested")
    assert dialog(conversation.db).state == "confidence"
    assert client.press(old_scale) == []  # the importance ruler's buttons are stale now
    assert dialog(conversation.db).state == "confidence"


def test_a_redelivered_update_changes_nothing(conversation: Conversation) -> None:
    client = consented(conversation)
    inbound = Inbound(
        channel="test", external_id="client-1", kind=InboundKind.TEXT, text="hello", update_id=77
    )
    first = conversation.handle(inbound)
    events, outbox = len(transcript(conversation.db)), count_outbox(conversation.db)
    second = conversation.handle(inbound)
    assert first.replies and not first.duplicate
    assert second == TurnOutcome(client_id=first.client_id, duplicate=True)
    assert (len(transcript(conversation.db)), count_outbox(conversation.db)) == (events, outbox)
    assert client.last_outcome is not None
    assert first.client_id == client.last_outcome.client_id  # the consented client, not a new one


def count_outbox(db: Database) -> int:
    with Session(db.engine) as session:
        return len(session.exec(select(OutboxMessage)).all())


def test_a_10000_character_message_is_kept_whole_and_reflected_short(
    conversation: Conversation,
) -> None:
    client = consented(conversation)
    long_text = ("I have a lot to say about this. " * 320)[:10_000]
    client.say(long_text)
    assert all(len(said.html) <= TELEGRAM_MESSAGE_LIMIT for said in client.last)
    assert "So you have a lot to say about this, and that's what you'd like" in client.text
    inbound = [e for e in transcript(conversation.db) if e.direction == "in"]
    assert inbound[-1].text == long_text


def test_markup_and_template_syntax_are_kept_as_text_and_never_run(
    conversation: Conversation,
) -> None:
    client = consented(conversation)
    hostile = '<b>hi</b> <a href="javascript:alert(1)">x</a> {{ 7*7 }} {% for x in y %}'
    client.say(hostile)
    reflection = client.last[0]  # paraphrased: the markup is left out, never run
    assert "<b>hi" not in reflection.html and "<a href" not in reflection.html
    assert "javascript" not in reflection.text and "49" not in reflection.text
    assert [e.text for e in transcript(conversation.db) if e.direction == "in"][-1] == hostile


def test_commands_mid_flow_answer_and_keep_the_place(conversation: Conversation) -> None:
    client = consented(conversation)
    client.say("something's been bugging me")
    for command in ["/help", "/goals", "/nonsense", "/start"]:
        client.say(command)
        # the answer and the question again, as one message (dialogs/messages.py)
        assert "\n\nIs there a substance or an activity" in client.last[-1].text
        assert dialog(conversation.db).state == "subject"
    client.say("/start")
    assert "Welcome back. Here's where we were." in client.text


def test_empty_and_whitespace_text_is_asked_again_kindly(conversation: Conversation) -> None:
    client = consented(conversation)
    client.say("   ")
    assert "what would be helpful to talk about today?" in client.text


def test_a_state_that_no_longer_exists_leads_back_to_the_menu(conversation: Conversation) -> None:
    client = consented(conversation)
    with Session(conversation.db.engine) as session:
        row = session.exec(select(DialogState)).one()
        row.flow, row.state = "retired_flow", "gone"
        session.add(row)
        session.commit()
    client.say("hello?")
    assert "I've been updated and lost track of exactly where we were" in client.text
    assert client.buttons[0] == "What I want from this"
    assert dialog(conversation.db).flow == "menu"


def test_nothing_the_client_writes_is_kept_before_consent(conversation: Conversation) -> None:
    client = TestClient(conversation)
    client.say("I took too much and I'm scared")
    client.say("/menu")
    client.send_media("photo")
    assert transcript(conversation.db) == []
    assert dialog(conversation.db).context.get("words", {}) == {}


def test_turns_of_one_client_never_interleave(db: Database, flows: FlowSet) -> None:
    """Many messages from one client at once, in threads: each turn sees the last one's state."""
    conversation = Conversation(db, flows, Renderer())
    client = consented(conversation)
    client.say("/menu")
    client.tap("That's enough for now")
    version = dialog(db).version
    messages = 12

    def send(n: int) -> TurnOutcome:
        inbound = Inbound(
            channel="test",
            external_id="client-1",
            kind=InboundKind.TEXT,
            text=f"message {n}",
            update_id=10_000 + n,
        )
        return conversation.handle(inbound)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(send, range(messages)))
    assert all(o.replies for o in outcomes)
    assert dialog(db).version == version + messages
    texts = {e.text for e in transcript(db) if e.direction == "in"}
    assert {f"message {n}" for n in range(messages)} <= texts


async def test_per_client_locks_are_dropped_when_idle(conversation: Conversation) -> None:
    delivered: list[int] = []

    async def deliver(outcome: TurnOutcome) -> None:
        delivered.append(outcome.client_id)

    inbounds = [
        Inbound(channel="test", external_id=f"c{n % 3}", kind=InboundKind.COMMAND, text="start")
        for n in range(9)
    ]
    await asyncio.gather(*(conversation.take_turn(i, deliver) for i in inbounds))
    assert len(delivered) == 9
    assert len(conversation.locks) == 0
