"""The bot and the dashboard in one process, on one asyncio loop: a person talks to the bot on
Telegram (the Bot API double), and a counselor reads it in the dashboard as it happens."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from bot.app import build_services
from bot.settings import Settings
from review import accounts
from review.config import ReviewSettings
from review.server import Beside
from tests.review_client import csrf_of
from tests.review_seed import PASSWORD
from tests.telegram_bot import TOKEN, Person, running
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
            TELEGRAM_POLL_TIMEOUT=1,
            ALONGSIDE_CHAT_SEND_INTERVAL=0,
        )
    )
    accounts.add(services.db, "casey", PASSWORD, role="counselor", actor="test", address="x")
    port = free_port()
    beside = Beside(services.db, ReviewSettings(ALONGSIDE_REVIEW_PORT=port))
    base = f"http://127.0.0.1:{port}"
    async with running(services, double, beside=beside) as under_test:  # starts the dashboard
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
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"{base}/sign-in")
    services.db.dispose()
