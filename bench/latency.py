"""Turn latency under steady load: many clients each writing every few seconds to the real bot
process (`alongside run`) against the Bot API double, sending at Telegram's pace. Prints how
long after arrival each update's turn began (p50, p95, p99, max; it commits milliseconds
later), and how long the last replies took to go out after the last text (the outbox backlog
at Telegram's 28 a second).

Run: `.venv/bin/python bench/latency.py [--postgres URL] [--clients 200] [--every 5]
[--seconds 60] [--code DIR]` (DIR: another checkout to run the bot from). Asserts nothing."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the double and the harness live with the tests

from sqlalchemy import text  # noqa: E402
from startup import scratch_database  # noqa: E402 (bench/, beside this script)

from storage import Database  # noqa: E402
from tests.chaos import harness  # noqa: E402
from tests.telegram_bot import TOKEN  # noqa: E402
from tests.telegram_double import TelegramDouble  # noqa: E402

PACE = {"ALONGSIDE_SEND_PER_SECOND": "28", "ALONGSIDE_CHAT_SEND_INTERVAL": "1.1"}


def committed_at(url: str) -> dict[int, datetime]:
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT update_id, processed_at FROM processed_update")
            ).all()
    finally:
        db.dispose()
    return {int(uid): _aware(at) for uid, at in rows}


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def measure(
    url: str, clients: int, every: float, seconds: float, log: Path, code: Path = ROOT
) -> str:
    texts = max(1, int(seconds / every))
    async with TelegramDouble(TOKEN) as double:
        bot = harness.BotProcess(harness.bot_env(double, url, **PACE), log, code)
        await bot.start()
        pushed_at: dict[int, datetime] = {}
        last_push = 0.0
        try:
            await harness.started(double)

            async def client(n: int) -> None:
                nonlocal last_push
                await asyncio.sleep(every * n / clients)
                for line in harness.script(n, texts):
                    chat = harness.FIRST_CHAT + n
                    if line.startswith("/"):
                        update_id = double.push_command(chat, line)
                    else:
                        update_id = double.push_text(chat, line)
                    pushed_at[update_id] = datetime.now(UTC)
                    last_push = time.monotonic()
                    await asyncio.sleep(every)

            await asyncio.gather(*(client(n) for n in range(clients)))
            await double.wait_until(lambda: len(committed_at(url)) >= len(pushed_at), timeout=600)
            sends = len(double.send_times)
            while True:  # until the outbox is empty: no send for 3 s
                await asyncio.sleep(3)
                if len(double.send_times) == sends:
                    break
                sends = len(double.send_times)
            drained = max(at for at, _ in double.send_times) - last_push
            await bot.terminate()
        finally:
            await bot.stop()
    done = committed_at(url)
    waits = sorted((done[uid] - at).total_seconds() for uid, at in pushed_at.items())
    q = statistics.quantiles(waits, n=100)
    return (
        f"{clients} clients every {every:g} s, {len(waits)} updates: turn began after "
        f"p50 {q[49]:.3f} s, p95 {q[94]:.3f} s, p99 {q[98]:.3f} s, max {waits[-1]:.3f} s; "
        f"{len(double.send_times)} messages sent, the last {drained:.0f} s after the last text"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a server URL; a scratch database is made there")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run the bot from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "bot.log"
        if args.postgres is None:
            url = f"sqlite:///{folder}/alongside.db"
            report = asyncio.run(
                measure(url, args.clients, args.every, args.seconds, log, args.code)
            )
            print("SQLite:", report)
            return
        with scratch_database(args.postgres) as url:
            report = asyncio.run(
                measure(url, args.clients, args.every, args.seconds, log, args.code)
            )
            print("PostgreSQL:", report)


if __name__ == "__main__":
    main()
