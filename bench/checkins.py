"""The send rate when 1,000 check-ins fall due at once: the scheduler's claims, the real PTB
Application (with its AIORateLimiter) and the scheduler's pacing, against the Bot API double.

Run: `make bench` (or `.venv/bin/python bench/checkins.py [--clients N] [--postgres URL]`).
Prints messages a second overall, the busiest second, and the most to one chat in a second;
asserts nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the Bot API double lives with the tests

from startup import scratch_database  # noqa: E402 (bench/, beside this script)

from bot.app import build_services  # noqa: E402
from bot.scheduler import SendPacer, send_due_once  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram import build_application  # noqa: E402
from tests.checkin_setup import add_due_clients  # noqa: E402
from tests.telegram_double import TelegramDouble, send_rates  # noqa: E402

TOKEN = "123456:bench"  # noqa: S105 (the double's, not a secret)


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    """A throwaway SQLite file, or a scratch database on the PostgreSQL server."""
    if postgres is not None:
        with scratch_database(postgres) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


async def measure(url: str, clients: int) -> None:
    async with TelegramDouble(TOKEN) as double:
        settings = Settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=double.base_url,
            ALONGSIDE_DATABASE_URL=url,
        )
        services = build_services(settings)
        seeded = time.perf_counter()
        add_due_clients(
            services.db, range(1, clients + 1), due_at=datetime.now(UTC), channel="telegram"
        )
        print(f"seeded {clients} due check-ins in {time.perf_counter() - seeded:.1f} s")
        application = build_application(services)
        async with application:
            started = time.monotonic()
            sent = await send_due_once(application.bot, services, SendPacer())
            elapsed = time.monotonic() - started
        services.db.dispose()
        times = double.send_times
        overall, per_chat = send_rates(times)
        span = times[-1][0] - times[0][0] if len(times) > 1 else 0.0
        print(f"sent {sent} check-ins in {elapsed:.1f} s (claims, turns and sends)")
        print(f"messages/s overall: {(len(times) - 1) / span if span else 0:.1f}")
        print(f"busiest one-second window: {overall} messages (limit 30)")
        print(f"most messages to one chat in one second: {per_chat} (limit 1)")
        print(f"chats reached: {len({chat for _, chat in times})} of {clients}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL (admin)")
    args = parser.parse_args()
    with database(args.postgres) as url:
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}")
        asyncio.run(measure(url, args.clients))


if __name__ == "__main__":
    main()
