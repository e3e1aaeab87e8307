"""Start-up time and memory against the number of stored clients, and the time one turn takes.

Run: `make bench` (or `.venv/bin/python bench/startup.py [--postgres URL]`). Prints its figures;
asserts nothing. Start-up must stay flat as clients grow: nothing is loaded for all clients."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage import Database
from storage.models import Client, DialogState, TranscriptEvent

CLIENT_COUNTS = (0, 1_000, 10_000, 50_000)
EVENTS_PER_CLIENT = 10
TURNS = 300

# Runs in a fresh interpreter: build everything, take one turn, report time and peak memory.
PROBE = """
import json, sys, time
start = time.perf_counter()
from bot.app import build_services
from bot.settings import Settings
from dialogs import Inbound, InboundKind
services = build_services(Settings(ALONGSIDE_DATABASE_URL=sys.argv[1]))
ready = time.perf_counter()
services.conversation.handle(Inbound("bench", "newcomer", InboundKind.COMMAND, "start"))
done = time.perf_counter()
# VmHWM is this process's own peak (getrusage's maxrss can carry the parent's peak over exec).
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print(json.dumps({"startup_s": ready - start, "first_turn_s": done - ready,
                  "peak_rss_mib": int(status) / 1024}))
"""


def seed(db: Database, clients: int) -> None:
    now = datetime.now(UTC)
    batch = 5_000
    with db.engine.begin() as connection:
        for first in range(0, clients, batch):
            ids = range(first + 1, min(first + batch, clients) + 1)
            connection.execute(
                insert(Client),
                [
                    {
                        "id": i,
                        "channel": "seed",
                        "external_id": str(i),
                        "code": f"S{i:07d}",
                        "locale": "en",
                        "consent": "given",
                        "review_consent": True,
                        "unreachable": False,
                        "created_at": now,
                        "last_active_at": now,
                    }
                    for i in ids
                ],
            )
            connection.execute(
                insert(DialogState),
                [
                    {
                        "client_id": i,
                        "flow": "menu",
                        "state": "choose",
                        "context": {"words": {"subject": "drinking"}},
                        "version": 3,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            connection.execute(
                insert(TranscriptEvent),
                [
                    {
                        "client_id": i,
                        "direction": "in",
                        "kind": "text",
                        "text": "some words " * 8,
                        "flow": "menu",
                        "state": "choose",
                        "created_at": now,
                    }
                    for i in ids
                    for _ in range(EVENTS_PER_CLIENT)
                ],
            )


def probe(url: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, url],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def turn_times(url: str) -> list[float]:
    from bot.app import build_services
    from bot.settings import Settings
    from dialogs import Inbound, InboundKind

    conversation = build_services(Settings(ALONGSIDE_DATABASE_URL=url)).conversation
    send = conversation.handle
    send(Inbound("bench", "talker", InboundKind.COMMAND, "start"))
    send(Inbound("bench", "talker", InboundKind.TEXT, "1"))  # consent
    send(Inbound("bench", "talker", InboundKind.TEXT, "2"))  # no counselor review
    times = []
    for n in range(TURNS):
        inbound = Inbound("bench", "talker", InboundKind.TEXT, f"my answer number {n}")
        start = time.perf_counter()
        send(inbound)
        times.append(time.perf_counter() - start)
    return times


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A database of the bench's own on that server, dropped afterwards."""
    server_url = Settings(ALONGSIDE_DATABASE_URL=server_url).database_url  # the psycopg driver
    name = f"alongside_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--postgres",
        help="also time turns on this PostgreSQL server, in a scratch database "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)",
    )
    args = parser.parse_args()

    print("start-up (fresh process, flows + templates + migrations + one turn), SQLite file")
    header = (
        ("clients", 9),
        ("events", 9),
        ("start-up s", 11),
        ("1st turn ms", 12),
        ("peak RSS MiB", 13),
    )
    print(" ".join(f"{name:>{width}}" for name, width in header))
    with tempfile.TemporaryDirectory() as folder:
        for clients in CLIENT_COUNTS:
            url = f"sqlite:///{Path(folder) / f'bench_{clients}.db'}"
            db = Database(url)
            db.migrate()
            seed(db, clients)
            db.dispose()
            figures = [probe(url) for _ in range(3)]
            best = min(figures, key=lambda f: f["startup_s"])
            print(
                f"{clients:>9} {clients * EVENTS_PER_CLIENT:>9} {best['startup_s']:>11.3f} "
                f"{best['first_turn_s'] * 1000:>12.1f} {best['peak_rss_mib']:>13.1f}"
            )

        print(f"\none turn (lock, read state, flow, render, one transaction), {TURNS} turns")
        report("SQLite file", turn_times(f"sqlite:///{Path(folder) / 'turns.db'}"))
        if args.postgres:
            with scratch_database(args.postgres) as url:
                report("PostgreSQL", turn_times(url))


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    print(
        f"{name:>12}: median {statistics.median(times) * 1000:.2f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1000:.2f} ms, max {times[-1] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
