"""Check-ins on Telegram: the real Application and its rate limiter against the Bot API double.
Due check-ins arrive on their own, within Telegram's limits; a 429 is retried after its
`retry_after`; a client who blocked the bot hears nothing more; /progress arrives as a photo."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.app import Services
from bot.scheduler import SendPacer, send_due_once
from bot.telegram import build_application
from dialogs.rhythm import ShiftedClock
from storage.models import Client
from tests.checkin_setup import add_due_clients
from tests.telegram_bot import Person, bot_services, running
from tests.telegram_double import TelegramDouble, send_rates

ALEX = 2001
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def services(tmp_path: Path, double: TelegramDouble) -> Iterator[Services]:
    with bot_services(tmp_path, double, ALONGSIDE_SCHEDULER_INTERVAL=0.05) as services:
        services.conversation.clock = ShiftedClock()
        yield services


def clock_of(services: Services) -> ShiftedClock:
    clock = services.conversation.clock
    assert isinstance(clock, ShiftedClock)
    return clock


@asynccontextmanager
async def application_bot(services: Services) -> AsyncIterator[Any]:
    """The Application's own bot (with its AIORateLimiter), without polling or the loop."""
    application = build_application(services)
    async with application:
        yield application.bot


def unreachable(services: Services, chat_id: int) -> bool:
    with Session(services.db.engine) as session:
        query = select(Client.unreachable).where(Client.external_id == str(chat_id))
        return bool(session.exec(query).one())


async def test_the_check_in_arrives_on_its_own_at_the_chosen_time(
    services: Services, double: TelegramDouble
) -> None:
    clock = clock_of(services)
    async with running(services, double) as bot:
        alex = Person(bot, ALEX)
        await alex.consents()
        await alex.says("/menu")
        await alex.taps("Check-ins: how often")
        await alex.taps("Every day")
        await alex.taps("Afternoon (16:00)")
        replies = await alex.says("12:00")  # so 16:00 is four hours away: tomorrow, then
        assert "Done: I will check in every day, in the afternoon" in replies[0].text
        before = len(alex.chat.messages)
        clock.advance(timedelta(hours=20))
        await bot.double.wait_until(lambda: "getUpdates" in double.calls[-3:])
        assert len(alex.chat.messages) == before  # not yet
        clock.advance(timedelta(hours=8, minutes=15))
        await double.wait_until(lambda: len(alex.chat.messages) > before)
        checkin = alex.last
        assert "it is time for the check-in you asked for" in checkin.text
        assert [label for label, _ in checkin.buttons] == [
            "It went well",
            "Some of it went well",
            "It was hard",
            "I didn't get to it",
        ]
        await alex.taps("It was hard")
        assert "What did you learn from it" in alex.last.text


async def test_many_due_check_ins_stay_within_telegrams_limits(
    services: Services, double: TelegramDouble
) -> None:
    now = clock_of(services)()
    add_due_clients(services.db, range(3000, 3090), due_at=now, channel="telegram")
    # Five clients at the end of urge surfing: their last step is two parts, one message.
    for chat in range(3000, 3005):
        with services.db.turn("telegram", str(chat), now=now) as turn:
            turn.save_dialog("urge", "ride", {"question": 5})
            turn.rhythm.queue_timed("urge", "next", now)
    async with application_bot(services) as bot:
        sent = await send_due_once(bot, services, SendPacer())
    assert sent == 85 + 5  # 85 check-ins; the five in an urge get its end, no check-in
    overall, per_chat = send_rates(double.send_times)
    assert overall <= 30 and per_chat <= 1, (overall, per_chat)
    assert all(len(double.chats[c].messages) == 1 for c in range(3000, 3090))


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # retry_after's type
async def test_a_429_is_retried_after_its_retry_after(
    services: Services, double: TelegramDouble
) -> None:
    add_due_clients(services.db, [ALEX], due_at=clock_of(services)(), channel="telegram")
    double.too_many[ALEX] = 1
    double.retry_after = 1
    started = time.monotonic()
    async with application_bot(services) as bot:
        sent = await send_due_once(bot, services, SendPacer())
    chat = double.chats[ALEX]
    assert sent == 1 and len(chat.messages) == 1
    assert chat.calls == ["sendMessage", "sendMessage"]  # refused once, then sent
    assert double.send_times[0][0] - started >= 1.0


async def test_a_client_who_blocked_the_bot_gets_no_more_reminders(
    services: Services, double: TelegramDouble
) -> None:
    clock = clock_of(services)
    add_due_clients(services.db, [ALEX, ALEX + 1], due_at=clock(), channel="telegram")
    double.blocked.add(ALEX)
    async with application_bot(services) as bot:
        await send_due_once(bot, services, SendPacer())
        assert unreachable(services, ALEX) and not unreachable(services, ALEX + 1)
        for _ in range(3):
            clock.advance(timedelta(days=1, minutes=20))
            await send_due_once(bot, services, SendPacer())
    assert double.chats[ALEX].calls == ["sendMessage"]  # the one refused, then nothing
    assert len(double.chats[ALEX + 1].messages) == 4  # the other client: one a day


async def test_progress_arrives_as_a_photo(services: Services, double: TelegramDouble) -> None:
    async with running(services, double) as bot:
        alex = Person(bot, ALEX)
        await alex.consents()
        await alex.says("/menu")
        await alex.taps("A quick note about today")
        await alex.taps("Some")
        await alex.taps("Skip")  # a button under a question that also takes typed words
        await alex.taps("Yes")
        await alex.says("a swim with Jo")
        await alex.says("/progress")
    photo = next(m for m in alex.chat.messages if m.file is not None)
    kind, name, content = photo.file  # type: ignore[misc]
    assert (kind, name) == ("photo", "progress.png")
    assert content[:8] == PNG_SIGNATURE
    assert "Here is your own progress" in photo.text
    assert "sendPhoto" in alex.chat.calls
