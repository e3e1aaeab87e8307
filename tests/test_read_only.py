"""SQLite on a read-only file: the bot says so once, in plain words, and confirms nothing to
Telegram (it will deliver the updates again once the bot can store them)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.app import build_services
from bot.settings import Settings
from storage import Database
from tests.telegram_bot import ALEX, TOKEN, running
from tests.telegram_double import TelegramDouble


async def test_a_read_only_database_is_named_in_the_log_and_nothing_is_confirmed(
    tmp_path: Path, double: TelegramDouble, app_logging: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "alongside.db"
    Database(f"sqlite:///{path}").migrate()
    settings = Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=double.base_url,
        # As the file would be opened under a read-only mount or mode (the tests run as root,
        # whom file modes do not stop): SQLite itself refuses every write.
        ALONGSIDE_DATABASE_URL=f"sqlite:///file:{path}?mode=ro&uri=true",
        TELEGRAM_POLL_TIMEOUT=1,
    )
    services = build_services(settings, migrate=False)
    caplog = app_logging
    try:
        async with running(services, double):
            pushed = [double.push_text(ALEX, "hello"), double.push_text(ALEX, "still there?")]
            for _ in range(100):  # the bot keeps trying to store them, with back-off
                await asyncio.sleep(0.1)
                if "read-only" in caplog.text:
                    break
            await asyncio.sleep(2)  # a few more tries
            assert set(pushed) <= set(double.unconfirmed)  # Telegram will send them again
            assert double.chats[ALEX].messages == []
    finally:
        services.db.dispose()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    read_only = [line for line in errors if "read-only" in line]
    assert len(read_only) == 1, errors  # once, not once a poll
    assert "hello" not in caplog.text and "still there" not in caplog.text
    assert TOKEN not in caplog.text
