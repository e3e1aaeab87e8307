"""A clean stop (SIGTERM, a redeploy) while replies are still going out: a reply already handed
to Telegram is waited for and marked sent, so the next process does not send it again; the
rest stay queued for it. And the stop always ends its loops, however it falls."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import Session, func, select

from bot.sender import WIRE_TAIL_SECONDS
from bot.waiting import wait_set
from storage import Database
from storage.models import OutboxMessage
from tests.telegram_bot import ALEX, bot_services, running
from tests.telegram_double import TelegramDouble

GRACE = WIRE_TAIL_SECONDS + 0.5  # turns and new sends get 0.5 s; replies already sent, 1 s more
SLOW_ANSWER = 0.3  # Telegram has the message, and answers for it this much later


def replies_stored(db: Database) -> int:
    with Session(db.engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)).one()


async def test_a_reply_on_its_way_when_the_bot_stops_is_not_sent_again_after_the_restart(
    tmp_path: Path, double: TelegramDouble
) -> None:
    double.answer_delay = SLOW_ANSWER
    with bot_services(tmp_path, double, ALONGSIDE_SHUTDOWN_GRACE=GRACE) as services:
        async with running(services, double):
            double.push_command(ALEX, "/start")
            for text in ("ya ok", "hiii", "idk really", "weed i guess", "like every night"):
                double.push_text(ALEX, text)
            await double.wait_for_messages(ALEX, 1)
        # Stopped with more replies to go than the grace has room for, one of them always on
        # its way: that one was waited for; the rest were left for the next process.
        left = len(services.db.pending_outbox(channel="telegram"))
        double.answer_delay = 0.0
        async with running(services, double):
            await double.wait_until(lambda: not services.db.pending_outbox(channel="telegram"))

        assert left > 0  # the stop came in the middle of the replies
        assert len(double.chats[ALEX].messages) == replies_stored(services.db)  # each once


async def test_a_loop_told_to_stop_just_as_it_is_woken_stops() -> None:
    # asyncio.wait_for on Python 3.11 loses that cancel, and the process never exits.
    woken = asyncio.Event()

    async def looking() -> None:
        while True:
            woken.clear()
            await wait_set(woken, 10)

    task = asyncio.create_task(looking())
    await asyncio.sleep(0)  # it waits
    woken.set()
    task.cancel()  # in the same pass of the loop
    done, _ = await asyncio.wait([task], timeout=2)
    assert done == {task} and task.cancelled()
