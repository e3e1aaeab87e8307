"""The bot and the dashboard in one process, on one asyncio loop: a person talks to the bot on
Telegram (the Bot API double), and a counselor reads it in the dashboard as it happens."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_services
from bot.settings import Settings
from bot.telegram import build_application
from review import accounts
from review.config import ReviewSettings
from review.server import Beside
from tests.review_client import csrf_of
from tests.review_seed import PASSWORD
from tests.telegram_bot import TOKEN, Person, RunningBot
from tests.telegram_double import TelegramDouble


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_counselor_reads_a_telegram_conversation_while_the_bot_runs(
    tmp_path: Path, double: TelegramDouble
) -> None:
    services = build_services(
        Settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=double.base_url,
            ALONGSIDE_DATABASE_URL=f"sqlite:///{tmp_path / 'alongside.db'}",
        )
    )
    accounts.add(services.db, "casey", PASSWORD, role="counselor", actor="test", address="x")
    port = free_port()
    application = build_application(services)
    application.bot_data.beside = Beside(services.db, ReviewSettings(ALONGSIDE_REVIEW_PORT=port))
    under_test = RunningBot(double)
    application.add_handler(TypeHandler(Update, under_test.finished), group=1)
    base = f"http://127.0.0.1:{port}"
    async with application:
        assert application.post_init and application.post_shutdown and application.updater
        await application.post_init(application)  # as run_polling does: starts the dashboard
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        await application.start()
        try:
            alex = Person(under_test, 1001)
            await alex.says("/start")
            await alex.taps("Yes, that's OK")
            await alex.taps("Yes, they may read it")
            await alex.says("my gambling, mostly online poker")
            async with httpx.AsyncClient(base_url=base, follow_redirects=True) as browser:
                form = await browser.get("/sign-in")
                listing = await browser.post(
                    "/sign-in",
                    data={"username": "casey", "password": PASSWORD, "csrf": csrf_of(form.text)},
                )
                assert "agenda</span>" in listing.text
                found = await browser.get("/search", params={"q": "online poker"})
                assert "<mark>online poker</mark>" in found.text
        finally:
            await application.updater.stop()
            await application.stop()
            await application.post_shutdown(application)  # stops the dashboard
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"{base}/sign-in")
    services.db.dispose()
