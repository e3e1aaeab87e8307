"""Fewer, fairer sends: a turn's parts go as one Telegram message where they fit (each part
still its own template and MI code in the transcript), and a new turn's first reply goes
before later parts of other clients' older turns."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, col, select

from bot import sender
from bot.app import Services
from bot.scheduler import SendPacer
from dialogs.events import Attachment, AttachmentKind, Choice, Reply
from dialogs.messages import PART_SEPARATOR, as_messages
from prompts.renderer import TELEGRAM_MESSAGE_LIMIT
from storage.models import Client, OutboxMessage, TranscriptEvent
from tests.telegram_bot import ALEX, SAM, Person, running
from tests.telegram_double import Sent, TelegramDouble

YES = Choice("yes", "Yes", "q:yes")


def reply(text: str, *choices: Choice, attachment: Attachment | None = None) -> Reply:
    return Reply(text, "t", "ST", choices, attachment)


def test_parts_join_until_one_carries_buttons() -> None:
    messages = as_messages([reply("a"), reply("b", YES), reply("c"), reply("d")])
    assert [(m.text, m.choices) for m in messages] == [
        (f"a{PART_SEPARATOR}b", (YES,)),
        (f"c{PART_SEPARATOR}d", ()),
    ]


def test_parts_that_would_pass_the_limit_or_carry_a_file_stay_apart() -> None:
    long = "x" * (TELEGRAM_MESSAGE_LIMIT - 1)
    assert [m.text for m in as_messages([reply(long), reply("y")])] == [long, "y"]
    exact = "x" * (TELEGRAM_MESSAGE_LIMIT - len(PART_SEPARATOR) - 1)
    assert len(as_messages([reply(exact), reply("y")])[0].text) == TELEGRAM_MESSAGE_LIMIT
    photo = Attachment(AttachmentKind.PHOTO, "p.png", b"png")
    messages = as_messages([reply("a"), reply("chart", attachment=photo), reply("b")])
    assert [(m.text, m.attachment) for m in messages] == [
        ("a", None),
        ("chart", photo),
        ("b", None),
    ]


async def test_the_answer_and_the_question_go_as_one_message_and_stay_two_parts(
    alex: Person, services: Services
) -> None:
    await alex.consents()
    sent = len(alex.chat.messages)
    (message,) = await alex.says("/help")
    assert "/menu: choose what to talk about" in message.text
    assert message.text.endswith(PART_SEPARATOR + "So, what would be helpful to talk about today?")
    assert len(alex.chat.messages) == sent + 1
    with Session(services.db.engine) as session:
        said = session.exec(
            select(TranscriptEvent)
            .where(TranscriptEvent.direction == "out")
            .order_by(col(TranscriptEvent.id).desc())
            .limit(2)
        ).all()
    help_part, question = reversed(said)
    assert help_part.template != question.template
    assert help_part.mi_code and question.mi_code
    assert message.text == f"{help_part.text}{PART_SEPARATOR}{question.text}"


def queue(services: Services, chat_id: int, *parts: str) -> None:
    """One turn's messages for a client, straight into the outbox."""
    with Session(services.db.engine) as session:
        client = Client(channel="telegram", external_id=str(chat_id), code=f"C{chat_id}")
        session.add(client)
        session.flush()
        assert client.id is not None
        for part, text in enumerate(parts):
            session.add(OutboxMessage(client_id=client.id, text=text, part=part))
        session.commit()


async def test_a_new_turns_first_reply_goes_before_later_parts_of_older_turns(
    services: Services, double: TelegramDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender, "MAX_IN_FLIGHT", 1)  # sends queue: one at a time
    queue(services, ALEX, "alex 1", "alex 2", "alex 3")  # an older turn in three parts
    queue(services, SAM, "sam 1")  # a newer turn's first reply
    async with running(services, double):
        await double.wait_for_messages(ALEX, 3)
    sent = sorted(double.chats[ALEX].messages + double.chats[SAM].messages, key=sent_order)
    assert [m.text for m in sent] == ["alex 1", "sam 1", "alex 2", "alex 3"]


def sent_order(message: Sent) -> int:
    return message.message_id  # the double numbers messages in the order they arrive


async def test_a_chat_waiting_out_its_interval_holds_back_no_other_chat() -> None:
    pacer = SendPacer(per_second=100, chat_interval=0.5)
    await pacer.wait(ALEX)
    loop = asyncio.get_running_loop()
    began = loop.time()
    alex_again = asyncio.create_task(pacer.wait(ALEX))  # waits 0.5 s for its own chat
    await asyncio.sleep(0.01)
    await pacer.wait(SAM)  # not behind it
    assert loop.time() - began < 0.2
    await alex_again
    assert loop.time() - began >= 0.45
