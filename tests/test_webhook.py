"""Webhook mode against the Bot API double, which POSTs updates as Telegram does: the secret
token checked on every request, a refused or slow answer retried and still answered once,
and `deleteWebhook` when the bot goes back to polling."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import runtime
from bot.app import Services
from storage import inbox
from tests.telegram_bot import ALEX, TOKEN, Person, bot_services, running
from tests.telegram_double import TelegramDouble

CONSENT = "keep our conversation"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def services(tmp_path: Path, double: TelegramDouble, port: int) -> Iterator[Services]:
    settings = {
        "ALONGSIDE_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
        "ALONGSIDE_WEBHOOK_PORT": port,
    }
    with bot_services(tmp_path, double, **settings) as services:
        yield services


async def test_a_conversation_over_webhooks(services: Services, double: TelegramDouble) -> None:
    async with running(services, double) as bot:
        replies = await Person(bot, ALEX).says("/start")
        assert CONSENT in replies[-1].text
        assert double.webhook is not None
        secret = double.webhook["secret_token"]
        assert secret and TOKEN not in secret
        assert "getUpdates" not in double.calls
        assert [status for _, status in double.webhook_posts] == [200]


async def test_a_request_without_the_right_secret_is_refused(
    services: Services, double: TelegramDouble, port: int
) -> None:
    update = {"update_id": 77, "message": {"message_id": 1, "date": 0, "text": "hi",
              "chat": {"id": ALEX, "type": "private"}}}  # fmt: skip
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running(services, double), httpx.AsyncClient() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
            response = await http.post(url, json=update, headers=headers)
            assert response.status_code == 403
        assert (await http.post(f"http://127.0.0.1:{port}/other", json=update)).status_code == 404
        assert inbox.depth(services.db) == 0
    assert services.db.count_clients() == 0


def failing_then(real: Any, failures: int, delay: float = 0.0) -> Any:
    calls = {"n": 0}

    def store(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= failures:
            if delay:
                time.sleep(delay)  # slow, then it does store
                return real(*args)
            raise OSError("disk I/O error")
        return real(*args)

    return store


async def test_an_update_refused_with_a_5xx_is_sent_again_and_answered_once(
    services: Services, double: TelegramDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.inbox, "store", failing_then(runtime.inbox.store, 1))
    async with running(services, double) as bot:
        replies = await Person(bot, ALEX).says("/start")
    assert [status for _, status in double.webhook_posts] == [503, 200]
    assert len([r for r in replies if CONSENT in r.text]) == 1


async def test_a_slow_answer_is_sent_again_and_still_answered_once(
    services: Services, double: TelegramDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    double.webhook_timeout = 0.3
    monkeypatch.setattr(runtime.inbox, "store", failing_then(runtime.inbox.store, 1, delay=0.8))
    async with running(services, double) as bot:
        alex = Person(bot, ALEX)
        update_id = double.push_command(ALEX, "/start")
        await double.wait_until(lambda: (update_id, 200) in double.webhook_posts)
        await bot.handles(update_id, times=2)  # the slow copy and the retry: two turns
        await asyncio.sleep(0.2)
    assert double.webhook_posts[0] == (update_id, None)  # Telegram gave up waiting
    assert len([m for m in alex.chat.messages if CONSENT in m.text]) == 1


async def test_going_back_to_polling_takes_the_webhook_down(
    services: Services, double: TelegramDouble, tmp_path: Path
) -> None:
    async with running(services, double):
        await double.wait_until(lambda: double.webhook is not None)
    with bot_services(tmp_path, double) as polling:
        async with running(polling, double) as bot:
            replies = await Person(bot, ALEX).says("/start")
    assert double.webhook is None
    assert "deleteWebhook" in double.calls and "getUpdates" in double.calls
    assert CONSENT in replies[-1].text
