"""End to end on Telegram: the real `Application` from `build_application`, polling a fake Bot API
server over HTTP, with a SQLite database. Each test reads as a conversation and asserts what
the client sees."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot import sender
from bot.app import Services
from dialogs import Inbound, InboundKind
from storage.models import Client, OutboxMessage, TranscriptEvent
from tests import test_attachments as attachments
from tests.telegram_bot import ALEX, SAM, TOKEN, Person, RunningBot, running
from tests.telegram_double import Sent, TelegramDouble

CONSENT_BUTTONS = ["Yes, that's OK", "Tell me more first", "No, not now"]
REVIEW_BUTTONS = ["Yes, they may read it", "No, thank you"]
FIRST_QUESTION = "So, what would be helpful to talk about today?"
MEDIA_REPLY = "I can only read text messages and button taps"
STALE_NOTICE = "That question has already been answered."


def labels(message: Sent) -> list[str]:
    return [label for label, _ in message.buttons]


def count_transcript(services: Services) -> int:
    with Session(services.db.engine) as session:
        return session.exec(select(func.count()).select_from(TranscriptEvent)).one()


def count_outbox(services: Services, *, status: str) -> int:
    with Session(services.db.engine) as session:
        query = select(func.count()).select_from(OutboxMessage)
        return session.exec(query.where(OutboxMessage.status == status)).one()


def client_row(services: Services, chat_id: int) -> Client:
    with Session(services.db.engine) as session:
        query = select(Client).where(Client.external_id == str(chat_id))
        return session.exec(query).one()


# -- the conversation ---------------------------------------------------------------------------


async def test_start_asks_for_consent_with_three_buttons(
    alex: Person, double: TelegramDouble
) -> None:
    replies = await alex.says("/start")

    consent = replies[-1]
    assert labels(consent) == CONSENT_BUTTONS
    assert consent.parse_mode == "HTML"
    keyboard = consent.reply_markup or {}
    assert [len(row) for row in keyboard["inline_keyboard"]] == [1, 1, 1]  # one button a row
    assert "keep our conversation" in consent.text
    assert alex.chat.actions == []  # no typing indicator: the reply follows at once
    assert len(double.commands) == 1
    assert {c["command"] for c in double.commands[0]} >= {
        "sos",
        "start",
        "menu",
        "goals",
        "help",
        "privacy",
        "mydata",
        "forget",
        "checkin",
        "pause",
        "resume",
        "progress",
        "urge",
    }
    assert all(c["description"] for c in double.commands[0])


async def test_a_tap_moves_on_answers_the_query_and_removes_the_buttons(alex: Person) -> None:
    await alex.says("/start")
    consent = alex.last

    replies = await alex.taps("Yes, that's OK")

    assert labels(replies[-1]) == REVIEW_BUTTONS
    assert alex.chat.answers == [None]
    assert alex.chat.edits == [consent.message_id]
    assert consent.buttons == []
    assert alex.chat.calls.count("answerCallbackQuery") == 1
    assert alex.chat.calls.count("editMessageReplyMarkup") == 1


async def test_an_old_button_gets_only_a_short_notice(alex: Person) -> None:
    await alex.says("/start")
    consent = alex.last
    yes = consent.data_for("Yes, that's OK")
    await alex.taps("Yes, that's OK")
    messages_before = len(alex.chat.messages)

    # The same button again, as a slow double tap or an old message scrolled back to.
    replies = await alex.presses(yes, on=consent)

    assert replies == []
    assert len(alex.chat.messages) == messages_before
    assert alex.chat.answers == [None, STALE_NOTICE]


async def test_a_quick_double_tap_is_answered_once(alex: Person, bot: RunningBot) -> None:
    await alex.says("/start")
    consent = alex.last
    yes = consent.data_for("Yes, that's OK")
    before = len(alex.chat.messages)

    first = alex.double.push_callback(ALEX, yes, consent.message_id)
    second = alex.double.push_callback(ALEX, yes, consent.message_id)
    await bot.handles(first)
    await bot.handles(second)

    replies = alex.chat.messages[before:]
    assert labels(replies[-1]) == REVIEW_BUTTONS
    assert sum(labels(m) == REVIEW_BUTTONS for m in replies) == 1
    assert len(alex.chat.answers) == 2
    assert set(alex.chat.answers) == {None, STALE_NOTICE}


async def test_typing_where_a_button_is_expected_gets_a_hint_with_the_buttons(
    alex: Person,
) -> None:
    await alex.says("/start")

    replies = await alex.says("7")

    assert len(replies) == 1
    assert "tap a button" in replies[0].text
    assert labels(replies[0]) == CONSENT_BUTTONS


async def test_a_question_before_consent_is_answered_then_the_consent_asked_again(
    alex: Person,
) -> None:
    await alex.says("/start")

    replies = await alex.says("hmm, what is this?")

    text = "\n".join(reply.text for reply in replies)
    assert "I'm not a person" in text and "Is it OK for me to keep our conversation?" in text
    assert labels(replies[-1]) == CONSENT_BUTTONS


async def test_rulers_are_buttons_0_to_10_in_two_rows_and_a_typed_number_works_too(
    alex: Person,
) -> None:
    await alex.consents()
    await alex.says("/menu")
    await alex.taps("Thinking about change")
    await alex.taps("Less of it")
    replies = await alex.says("weekends only")

    ruler = replies[-1]
    assert "how important is this change to you right now?" in ruler.text
    rows = (ruler.reply_markup or {})["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [
        ["0", "1", "2", "3", "4", "5"],
        ["6", "7", "8", "9", "10"],
    ]
    replies = await alex.taps("4")
    assert "What makes it a 4 and not a lower number?" in replies[-1].text
    await alex.says("my health")
    await alex.says("a good week")
    replies = await alex.says("I'd say 6/10")
    assert "What makes it a 6 and not a lower number?" in replies[-1].text


async def test_commands_mid_flow_answer_and_ask_the_same_question_again(alex: Person) -> None:
    await alex.consents()
    (reply,) = await alex.says("/help")  # the answer and the question: one message
    assert "/menu: choose what to talk about" in reply.text
    assert reply.text.endswith("\n\n" + FIRST_QUESTION)
    (reply,) = await alex.says("/goals@alongside_bot")
    assert "You haven't set a goal with me yet" in reply.text
    assert reply.text.endswith("\n\n" + FIRST_QUESTION)
    replies = await alex.says("/teleport now")
    assert "I don't know that command." in replies[0].text
    replies = await alex.says("/menu")
    assert labels(replies[-1])[0] == "Carry on where we left off"


async def test_group_chats_are_not_answered_and_nothing_is_stored(
    services: Services, bot: RunningBot, double: TelegramDouble
) -> None:
    group = -100123
    update_id = double.push_text(group, "hello bot", chat_type="group")
    await bot.handles(update_id)
    assert double.chats[group].messages == []
    with Session(services.db.engine) as session:
        assert session.exec(select(func.count()).select_from(Client)).one() == 0


@pytest.mark.parametrize("media", ["sticker", "photo", "voice"])
async def test_media_gets_a_kind_reply_and_the_conversation_goes_on(
    alex: Person, media: str
) -> None:
    await alex.says("/start")

    replies = await alex.sends(media)

    assert len(replies) == 1
    assert replies[0].text.startswith(MEDIA_REPLY)
    assert labels(replies[0]) == CONSENT_BUTTONS
    replies = await alex.taps("Yes, that's OK")
    assert labels(replies[-1]) == REVIEW_BUTTONS


async def test_media_during_a_free_text_question_asks_for_words(alex: Person) -> None:
    await alex.consents()
    assert alex.last.text.endswith(FIRST_QUESTION)

    replies = await alex.sends("voice")

    assert replies[0].text.startswith(MEDIA_REPLY)
    assert "put it into words" in replies[0].text
    replies = await alex.says("my drinking at weekends")
    assert "your drinking at weekends" in replies[0].text


async def test_a_redelivered_update_is_not_answered_twice(
    alex: Person, bot: RunningBot, double: TelegramDouble, services: Services
) -> None:
    await alex.consents()
    update_id = double.push_text(ALEX, "cutting down on cannabis")
    await bot.handles(update_id)
    messages, rows = len(alex.chat.messages), count_transcript(services)

    double.redeliver(update_id)
    await bot.handles(update_id, times=2)

    assert len(alex.chat.messages) == messages
    assert count_transcript(services) == rows
    replies = await alex.says("/help")  # and the chat goes on
    assert replies


async def test_client_markup_is_never_markup_nor_run_as_a_template(alex: Person) -> None:
    await alex.consents()

    replies = await alex.says("<b>hi</b> {{ 7*7 }} <script>")

    reflection = replies[0].text  # paraphrased: markup and template syntax are left out
    assert "49" not in reflection and "7*7" not in reflection
    assert "<b>" not in reflection and "<script>" not in reflection


async def test_a_client_who_blocked_the_bot_is_marked_unreachable(
    alex: Person,
    sam: Person,
    double: TelegramDouble,
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await alex.says("/start")
    double.blocked.add(ALEX)

    replies = await alex.taps("Yes, that's OK")

    assert replies == []
    assert alex.chat.calls.count("sendMessage") == 2  # the consent, then the refused reply
    assert client_row(services, ALEX).unreachable
    replies = await sam.says("/start")
    assert labels(replies[-1]) == CONSENT_BUTTONS
    assert not client_row(services, SAM).unreachable
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- delivery that fails for a while --------------------------------------------------------------


async def test_a_reply_that_failed_to_send_goes_out_at_the_next_start(
    services: Services, double: TelegramDouble
) -> None:
    async with running(services, double) as first_run:
        alex = Person(first_run, ALEX)
        await alex.says("/start")
        double.failing[ALEX] = 1  # Telegram answers 500 once

        assert await alex.taps("Yes, that's OK") == []

    async with running(services, double):
        messages = await double.wait_for_messages(ALEX, 2)  # the welcome; thanks + question
    assert labels(messages[-1]) == REVIEW_BUTTONS


async def test_the_retry_loop_sends_what_failed_and_never_a_reply_twice(
    services: Services, double: TelegramDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender, "RETRY_SECONDS", 0.01)  # retrying all through the talk
    async with running(services, double) as under_test:
        alex = Person(under_test, ALEX)
        await alex.says("/start")
        double.failing[ALEX] = 1  # Telegram answers 500 once

        await alex.taps("Yes, that's OK")
        messages = await double.wait_for_messages(ALEX, 2)  # the welcome; thanks + question
        assert double.failing[ALEX] == 0
        assert labels(messages[-1]) == REVIEW_BUTTONS
        await alex.taps("No, thank you")
        for n in range(5):
            await alex.says(f"thought number {n}")

    assert len(alex.chat.messages) == count_outbox(services, status="sent")


async def test_a_reply_left_by_another_channel_does_not_stall_the_retries(
    services: Services, double: TelegramDouble
) -> None:
    terminal = Inbound(channel="terminal", external_id="someone", kind=InboundKind.TEXT)
    services.conversation.handle(terminal)  # its reply stays in the outbox, never printed
    async with running(services, double) as first_run:
        alex = Person(first_run, ALEX)
        await alex.says("/start")
        double.failing[ALEX] = 1
        await alex.taps("Yes, that's OK")

    async with running(services, double):
        messages = await double.wait_for_messages(ALEX, 2)  # the welcome; thanks + question
    assert labels(messages[-1]) == REVIEW_BUTTONS


async def test_the_double_takes_json_as_well_as_forms(double: TelegramDouble) -> None:
    url = f"{double.base_url}/bot{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as session:
        response = await session.post(url, json={"chat_id": SAM, "text": "hello", "x": 1})
        assert (await response.json())["ok"]
    assert double.chats[SAM].messages[0].text == "hello"


# -- logs ----------------------------------------------------------------------------------------


async def test_logs_hold_neither_the_token_nor_what_the_client_wrote(
    app_logging: pytest.LogCaptureFixture, services: Services, double: TelegramDouble
) -> None:
    words = ["quite private words", "another secret sentence"]
    async with running(services, double) as under_test:
        alex = Person(under_test, ALEX)
        await alex.consents()
        for text in words:
            await alex.says(text)
        double.blocked.add(ALEX)
        await alex.says("one last thing")  # a refused reply is logged too
        words.append("one last thing")

    logged = [record.getMessage() for record in app_logging.records]
    assert any(record.name.startswith("bot.") for record in app_logging.records)  # it logs
    assert not [line for line in logged if TOKEN in line]
    assert not [line for line in logged if any(w in line for w in words)]
    assert TOKEN not in app_logging.text
    assert not any(w in app_logging.text for w in words)


async def test_a_refused_token_stops_the_bot_with_a_clear_message(
    double: TelegramDouble, tmp_path: Path
) -> None:
    wrong = "999:not-the-token"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=Path(__file__).parents[1],
        env={
            **os.environ,
            "TELEGRAM_BOT_TOKEN": wrong,
            "TELEGRAM_API_BASE_URL": double.base_url,
            "ALONGSIDE_ALLOW_PLAINTEXT": "true",
            "ALONGSIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'alongside.db'}",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in output.decode()
    assert wrong not in output.decode()


async def test_telegram_gets_a_photo_and_a_document_with_their_captions(
    services: Services, double: TelegramDouble
) -> None:
    attachments.queue_files(services.db, "telegram", str(ALEX))
    async with running(services, double) as under_test:
        alex = Person(under_test, ALEX)
        await alex.says("/help")

    picture, data = alex.chat.messages[:2]  # sent at start-up or by the turn: in order either way
    sends = [call for call in alex.chat.calls if call != "sendChatAction"]
    assert sends[:3] == ["sendPhoto", "sendDocument", "sendMessage"]
    assert (picture.text, picture.file) == (
        "Here is your picture.",
        ("photo", "progress.png", attachments.PNG),
    )
    assert data.file == ("document", "my-data.json", attachments.DATA)
    assert set(attachments.stored_attachments(services.db)) == {None}  # none kept once sent


async def test_mydata_sends_a_document_and_forget_erases_after_a_tap(
    alex: Person, double: TelegramDouble, services: Services
) -> None:
    await alex.consents()
    await alex.says("my gambling on my phone")
    code = client_row(services, ALEX).code
    await alex.says("/mydata")
    document = next(m for m in alex.chat.messages if m.file is not None)
    assert document.file is not None and document.file[:2] == (
        "document",
        f"alongside-{code}.json",
    )
    transcript = json.loads(document.file[2])["tables"]["transcript_event"]
    assert "my gambling on my phone" in [event["text"] for event in transcript]
    (confirm,) = await alex.says("/forget")
    assert labels(confirm) == ["Yes, erase everything", "No, keep it"]
    (erased,) = await alex.taps("Yes, erase everything", on=confirm)
    assert "Done. I've erased everything I kept about you:" in erased.text
    assert count_transcript(services) == 0
    assert client_row(services, ALEX).code != code
    assert confirm.buttons == []  # the question's buttons are gone
    (welcome,) = await alex.says("hello")
    assert "Is it OK for me to keep our conversation?" in welcome.text
