"""A flood of hostile updates while one client talks, on both backends: NUL bytes, 4,096-char
texts, forged buttons, group messages, channel posts and edits. The bot stays up and the
client's replies all arrive, in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from bot.app import Services
from dialogs import FlowSet
from prompts import Renderer
from storage import Database
from tests.chaos import harness
from tests.telegram_bot import ALEX, bot_services, running
from tests.telegram_double import TelegramDouble

FLOOD = 1000
NOTES = 10
HOSTILE_CHATS = range(7000, 7020)  # private chats of strangers
GROUP, CHANNEL = -100_555, -100_777
MAX_TEXT = 4096


def hostile(double: TelegramDouble) -> Iterator[Callable[[], int]]:
    """FLOOD pushes, of every kind in turn."""
    kinds: list[Callable[[int, int], int]] = [
        lambda chat, n: double.push_text(chat, f"before\x00after {n}\x00"),
        lambda chat, n: double.push_text(chat, ("x" * 97 + "\x00 ") * (MAX_TEXT // 99)),
        lambda chat, n: double.push_text(chat, "y" * MAX_TEXT),
        lambda chat, n: double.push_forged_callback(chat, f"forged:{n}"),
        lambda chat, n: double.push_forged_callback(chat, "9" * 64),
        lambda chat, n: double.push_text(GROUP, f"group message {n}", chat_type="group"),
        lambda chat, n: double.push_channel_post(CHANNEL, f"channel post {n}"),
        lambda chat, n: double.push_edit(chat, f"edited\x00 {n}"),
    ]
    for n in range(FLOOD):
        chat = HOSTILE_CHATS[n % len(HOSTILE_CHATS)]
        yield partial(kinds[n % len(kinds)], chat, n)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def flooded(
    request: pytest.FixtureRequest, tmp_path: Path, double: TelegramDouble
) -> Iterator[Services]:
    extra = {"ALONGSIDE_SEND_PER_SECOND": "1000"}  # the double keeps no limit: a short test
    if request.param == "postgres":
        db: Database = request.getfixturevalue("postgres_db")
        extra["ALONGSIDE_DATABASE_URL"] = db.url
    with bot_services(tmp_path, double, **extra) as services:
        yield services


async def test_a_flood_of_hostile_updates_leaves_a_client_answered_in_order(
    flooded: Services, double: TelegramDouble, flows: FlowSet, renderer: Renderer
) -> None:
    script = harness.script(0, NOTES)
    (expected,) = harness.expected_replies(flows, renderer, [script])
    pushes = list(hostile(double))
    async with running(flooded, double) as bot:
        client_updates = []
        began = time.monotonic()
        for n, push in enumerate(pushes):
            push()
            if n % (FLOOD // len(script)) == 0 and len(client_updates) < len(script):
                client_updates.append(double.push_text(ALEX, script[len(client_updates)]))
            if n % 50 == 0:
                await asyncio.sleep(0)  # let the bot read meanwhile
        client_updates += [double.push_text(ALEX, line) for line in script[len(client_updates) :]]
        await double.wait_until(lambda: set(client_updates) <= set(bot.handled), timeout=240)
        await double.wait_for_messages(ALEX, len(expected), timeout=30)
        seconds = time.monotonic() - began

        # Still up, and a newcomer is answered at once.
        newcomer = double.push_text(7999, "hello?")
        await double.wait_until(lambda: newcomer in bot.handled, timeout=30)
    assert [message.text for message in double.chats[ALEX].messages] == expected
    assert double.chats[GROUP].messages == [] and double.chats[CHANNEL].messages == []
    assert double.chats[7999].messages
    assert not double.unconfirmed, "every update was confirmed to Telegram"
    print(f"{FLOOD} hostile updates and {len(script)} texts: {seconds:.1f} s")
