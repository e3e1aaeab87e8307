"""Turns per second with 1, 2 and 4 bot processes (`alongside run`) on one PostgreSQL database,
against the Bot API double with send pacing off, so the database and the engine are what is
measured; and a bare python-telegram-bot echo bot against the same double, as a yardstick for
what PTB and the double alone can carry.

Each run: the processes start (one polls, all take turns from the inbox), then every client's
texts are pushed at once; the figure is turns committed (`processed_update` rows) over the
time from the first push to the last commit. The echo bot's figure is texts echoed over the
time from the first push to the last echo.

Run: `.venv/bin/python bench/workers.py --postgres URL [--clients 100] [--texts 10]
[--processes 1,2,4]`. Prints its figures; asserts nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the double and the harness live with the tests

from sqlalchemy import text  # noqa: E402
from startup import scratch_database  # noqa: E402 (bench/, beside this script)

from storage import Database  # noqa: E402
from tests.chaos import harness  # noqa: E402
from tests.telegram_bot import TOKEN  # noqa: E402
from tests.telegram_double import TelegramDouble  # noqa: E402

NO_PACING = {"ALONGSIDE_SEND_PER_SECOND": "1000", "ALONGSIDE_CHAT_SEND_INTERVAL": "0"}
LOOK_SECONDS = 0.1


def committed(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM processed_update")).scalar_one())


async def turns_per_second(
    server: str, processes: int, clients: int, texts: int, log: Path
) -> tuple[int, float]:
    """(turns, seconds) for `processes` bot processes on a scratch database."""
    with scratch_database(server) as url:
        db = Database(url)
        async with TelegramDouble(TOKEN) as double:
            env = harness.bot_env(double, url, **NO_PACING)
            bots = [harness.BotProcess(env, log) for _ in range(processes)]
            try:
                await bots[0].start()  # it migrates the scratch database
                await harness.started(double)
                for bot in bots[1:]:
                    await bot.start()
                await asyncio.sleep(3 + processes)  # the others are up and taking turns
                began = time.monotonic()
                pushed = push_all(double, clients, texts)
                while committed(db) < pushed:  # noqa: ASYNC110 (other processes' commits)
                    await asyncio.sleep(LOOK_SECONDS)
                seconds = time.monotonic() - began
                for bot in bots:
                    await bot.terminate()
            finally:
                for bot in bots:
                    await bot.stop()
        db.dispose()
    return pushed, seconds


def push_all(double: TelegramDouble, clients: int, texts: int) -> int:
    """Every client's whole script at once (each in its order); how many updates."""
    pushed = 0
    for n in range(clients):
        for line in harness.script(n, texts):
            chat = harness.FIRST_CHAT + n
            if line.startswith("/"):
                double.push_command(chat, line)
            else:
                double.push_text(chat, line)
            pushed += 1
    return pushed


async def echo_per_second(clients: int, texts: int, log: Path) -> tuple[int, float]:
    """(texts, seconds) for a bare PTB echo bot, in its own process, on the same double."""
    async with TelegramDouble(TOKEN) as double:
        with log.open("ab") as out:
            echo = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--echo-bot", double.base_url, stdout=out, stderr=out
            )
        try:
            await harness.started(double)
            began = time.monotonic()
            for n in range(clients):
                for i in range(texts):
                    double.push_text(harness.FIRST_CHAT + n, f"text {i}")
            total = clients * texts
            await double.wait_until(
                lambda: sum(len(chat.messages) for chat in double.chats.values()) >= total,
                timeout=600,
            )
            seconds = time.monotonic() - began
        finally:
            echo.terminate()
            await echo.wait()
    return total, seconds


def run_echo_bot(base_url: str) -> None:
    """The yardstick: PTB's own polling, one handler that echoes the text."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text)

    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0, timeout=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a server URL; a scratch database is made there")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--texts", type=int, default=10, help="texts a client, after /start")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--echo-bot", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_bot:
        run_echo_bot(args.echo_bot)
        return
    if args.postgres is None:
        parser.error("--postgres URL is needed: several processes share one PostgreSQL")
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "bot.log"
        for processes in (int(p) for p in args.processes.split(",")):
            turns, seconds = asyncio.run(
                turns_per_second(args.postgres, processes, args.clients, args.texts, log)
            )
            print(
                f"PostgreSQL, {processes} process(es), {args.clients} clients: {turns} turns "
                f"in {seconds:.1f} s, {turns / seconds:.0f} turns/s"
            )
        total, seconds = asyncio.run(echo_per_second(args.clients, args.texts, log))
        print(
            f"bare PTB echo bot (yardstick), same double: {total} texts in {seconds:.1f} s, "
            f"{total / seconds:.0f} echoes/s"
        )


if __name__ == "__main__":
    main()
