"""The bot runtime when the database is away: nothing is confirmed to Telegram until it is
stored, the outage is logged once, and every text is answered once the database is back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot import runtime
from bot.app import Services, build_services
from bot.settings import Settings
from storage import Database
from tests.telegram_bot import ALEX, TOKEN, Person, running
from tests.telegram_double import TelegramDouble


def process_on(db: Database, double: TelegramDouble, **settings: Any) -> Services:
    """One more bot process's services, on the shared PostgreSQL database."""
    return build_services(
        Settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=double.base_url,
            **{
                "ALONGSIDE_DATABASE_URL": db.url,
                "TELEGRAM_POLL_TIMEOUT": 1,
                "ALONGSIDE_CHAT_SEND_INTERVAL": 0,
                **settings,
            },
        )
    )


def outage(times: int, real: Any) -> Any:
    """`real`, failing the first `times` calls as a database that is away does."""
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError("INSERT ...", {}, Exception("connection refused"))
        return real(*args, **kwargs)

    return flaky


async def test_an_update_is_confirmed_only_once_it_is_stored(
    services: Services,
    double: TelegramDouble,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(runtime.inbox, "store", outage(3, runtime.inbox.store))
    async with running(services, double) as bot:
        update_id = double.push_command(ALEX, "/start")
        await asyncio.sleep(0.7)  # the first tries fail, with back-off
        assert update_id in double.unconfirmed
        await bot.handles(update_id)
        assert "keep our conversation" in Person(bot, ALEX).last.text
        await double.wait_until(lambda: update_id not in double.unconfirmed)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "storing received updates failed (OperationalError from Exception): "
        "retrying with back-off until it works"
    ]


async def test_turns_wait_out_a_database_outage_and_answer_after(
    services: Services,
    double: TelegramDouble,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conversation = services.conversation
    monkeypatch.setattr("bot.outage.FIRST_DELAY", 0.05)
    monkeypatch.setattr(conversation, "handle_next", outage(3, conversation.handle_next))
    async with running(services, double) as bot:
        replies = await Person(bot, ALEX).says("/start")
    assert "keep our conversation" in replies[-1].text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "taking turns from the inbox failed" in errors[0].getMessage()


@pytest.mark.postgres
async def test_one_process_polls_and_another_takes_over_when_it_stops(
    postgres_db: Database, double: TelegramDouble, tmp_path: Path
) -> None:
    first_run = running(process_on(postgres_db, double), double)
    second_run = running(process_on(postgres_db, double), double)
    first = await first_run.__aenter__()
    second = await second_run.__aenter__()
    try:
        assert first.runtime is not None and second.runtime is not None
        await double.wait_until(lambda: first.runtime.leader.leading)  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
        assert not second.runtime.leader.leading  # one poller: no 409s from Telegram
        double.push_command(ALEX, "/start")
        await double.wait_for_messages(ALEX, 1)

        await first_run.__aexit__(None, None, None)  # the poller goes away
        await double.wait_until(lambda: second.runtime.leader.leading, timeout=10)  # type: ignore[union-attr]
        double.push_text(ALEX, "Yes, that's OK")
        await double.wait_for_messages(ALEX, 2)
    finally:
        await second_run.__aexit__(None, None, None)


@pytest.mark.postgres
async def test_three_processes_keep_telegrams_pace_together(
    postgres_db: Database, double: TelegramDouble
) -> None:
    per_second = 10

    def services() -> Services:
        return process_on(postgres_db, double, ALONGSIDE_SEND_PER_SECOND=per_second)

    chats = range(2001, 2061)  # 60 people at once: about 6 s of sends at this pace
    async with (
        running(services(), double) as first,
        running(services(), double) as second,
        running(services(), double) as third,
    ):
        for chat in chats:
            double.push_command(chat, "/start")
        await double.wait_until(
            lambda: all(double.chats[chat].messages for chat in chats), timeout=60
        )
        sent = [bot.runtime.sender.sent for bot in (first, second, third) if bot.runtime]

    times = sorted(at for at, _ in double.send_times)
    busiest = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    assert len(sent) == 3 and sum(1 for n in sent if n) >= 2  # they shared the sending
    # A fifth of a second takes per_second / 5 places and any second spans at most six fifths;
    # a request reaches Telegram a moment after its place is taken: seven fifths' worth at most.
    # Each process alone keeps per_second, so without the shared count three reach 2-3 times it.
    assert busiest <= per_second + 2 * (per_second // 5), (busiest, sent)
