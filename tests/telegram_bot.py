"""The real bot runtime (`bot.runtime.BotRuntime` on the application from `build_application`),
polling the Bot API double over HTTP: a running bot for end-to-end tests, and a person in a
private chat with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app import Services, build_services
from bot.runtime import BotRuntime
from bot.settings import Settings
from bot.telegram import build_application
from tests.telegram_double import Chat, Sent, TelegramDouble

if TYPE_CHECKING:
    from review.server import Beside

TOKEN = "123456:never-in-a-log-line"
ALEX, SAM = 1001, 1002


@contextmanager
def bot_services(tmp_path: Path, double: TelegramDouble, **settings: Any) -> Iterator[Services]:
    """The bot's services on a SQLite file, talking to `double`; `settings` add to or override
    the defaults (e.g. ALONGSIDE_ALERT_CHAT_ID)."""
    services = build_services(
        Settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=double.base_url,
            **{
                "ALONGSIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'alongside.db'}",
                "TELEGRAM_POLL_TIMEOUT": 1,
                "ALONGSIDE_CHAT_SEND_INTERVAL": 0,
                **settings,
            },
        )
    )
    try:
        yield services
    finally:
        services.db.dispose()


class RunningBot:
    """The running bot, and the update ids it has finished handling (in order)."""

    def __init__(self, double: TelegramDouble) -> None:
        self.double = double
        self.handled: list[int] = []
        self.runtime: BotRuntime | None = None

    def finished(self, update_id: int) -> None:
        self.handled.append(update_id)
        self.double.notify()

    async def handles(self, update_id: int, times: int = 1) -> None:
        """Once the update's turn is done and the sender has sent what it could."""
        await self.double.wait_until(
            lambda: self.handled.count(update_id) >= times and self.settled
        )

    @property
    def settled(self) -> bool:
        return self.runtime is not None and self.runtime.sender.settled


class Person:
    """Someone in a private chat with the bot: says things, taps buttons, sees the replies."""

    def __init__(self, bot: RunningBot, chat_id: int) -> None:
        self.bot, self.double, self.chat_id = bot, bot.double, chat_id

    @property
    def chat(self) -> Chat:
        return self.double.chats[self.chat_id]

    @property
    def last(self) -> Sent:
        return self.chat.messages[-1]

    async def says(self, text: str) -> list[Sent]:
        if text.startswith("/"):
            return await self._turn(lambda: self.double.push_command(self.chat_id, text))
        return await self._turn(lambda: self.double.push_text(self.chat_id, text))

    async def taps(self, label: str, on: Sent | None = None) -> list[Sent]:
        return await self._turn(lambda: self.double.tap(self.chat_id, label, on))

    async def presses(self, data: str, on: Sent) -> list[Sent]:
        """A button by its callback data: one that is gone, or one tapped twice."""
        return await self._turn(
            lambda: self.double.push_callback(self.chat_id, data, on.message_id)
        )

    async def sends(self, media: str) -> list[Sent]:
        return await self._turn(lambda: getattr(self.double, f"push_{media}")(self.chat_id))

    async def consents(self) -> list[Sent]:
        """/start, agree to keep the conversation, keep it from counselors."""
        await self.says("/start")
        await self.taps("Yes, that's OK")
        return await self.taps("No, thank you")

    async def _turn(self, push: Any) -> list[Sent]:
        before = len(self.chat.messages)
        update_id = push()
        await self.bot.handles(update_id)
        return list(self.chat.messages[before:])


@asynccontextmanager
async def running(
    services: Services, double: TelegramDouble, beside: Beside | None = None
) -> AsyncIterator[RunningBot]:
    """Run the bot as `alongside run` does (without the signal handlers), then stop it as
    SIGTERM would."""
    under_test = RunningBot(double)
    runtime = BotRuntime(
        build_application(services),
        beside=beside,
        on_handled=under_test.finished,
        on_progress=double.notify,
    )
    under_test.runtime = runtime
    task = asyncio.create_task(runtime.run())
    started = asyncio.create_task(runtime.started.wait())
    await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        started.cancel()
        task.result()  # raises what stopped it
    try:
        yield under_test
    finally:
        runtime.stop()
        await task
