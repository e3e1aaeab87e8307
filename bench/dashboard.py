"""How long the review dashboard's pages take as stored clients grow.

Run: `.venv/bin/python bench/dashboard.py [--postgres URL]`. Prints its figures; asserts nothing.
Every seeded client agreed to counselor review, so every one is visible in the dashboard."""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from startup import EVENTS_PER_CLIENT, scratch_database, seed

from review import accounts
from review.app import create_app
from review.config import ReviewSettings
from storage import Database
from storage.models import Goal, SafetyEvent

CLIENT_COUNTS = (1_000, 10_000, 50_000)
RUNS = 5
PASSWORD = secrets.token_urlsafe(16)


def flag_some(db: Database, clients: int) -> None:
    """A goal for every client, a safety event for one in a hundred."""
    now = datetime.now(UTC)
    with db.engine.begin() as connection:
        connection.execute(
            insert(Goal),
            [
                {
                    "client_id": i,
                    "kind": "change",
                    "words": "fewer drinks on weeknights",
                    "status": "active",
                    "created_at": now,
                }
                for i in range(1, clients + 1)
            ],
        )
        connection.execute(
            insert(SafetyEvent),
            [
                {
                    "client_id": i,
                    "category": "overdose",
                    "signal": "bench",
                    "flow": "menu",
                    "state": "choose",
                    "created_at": now,
                }
                for i in range(1, clients + 1, 100)
            ],
        )


def timed(call: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(url: str, clients: int) -> list[float]:
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    db = Database(url)
    db.migrate()
    seed(db, clients)
    flag_some(db, clients)
    accounts.add(db, "bench", PASSWORD, role="counselor", actor="bench", address="local")
    settings = ReviewSettings(ALONGSIDE_REVIEW_ALLOWED_HOSTS="testserver")
    with TestClient(create_app(db, settings)) as browser:
        form = browser.get("/sign-in").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        browser.post("/sign-in", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
        middle = f"S{clients // 2:07d}"
        pages = [
            lambda: browser.get("/"),
            lambda: browser.get("/", params={"flagged": "true", "sort": "flags"}),
            lambda: browser.get("/", params={"sort": "activity"}),
            lambda: browser.get(f"/clients/{middle}"),
            lambda: browser.get("/", params={"sort": "unread"}),
            lambda: browser.get("/search", params={"q": "some words"}),
            lambda: browser.get("/search", params={"q": "found nowhere"}),
        ]
        for page in pages:
            assert page().status_code == 200  # type: ignore[attr-defined]
        figures = [timed(page) for page in pages]
    db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="also measure on this PostgreSQL server")
    parser.add_argument(
        "--clients", type=int, nargs="*", default=CLIENT_COUNTS, help="client counts to seed"
    )
    args = parser.parse_args()
    print(f"median of {RUNS} requests, ms (in-process TestClient, one counselor signed in)")
    header = (
        "backend",
        "clients",
        "events",
        "queue",
        "flagged",
        "activity",
        "client",
        "by unread",
        "search",
        "no hits",
    )
    print(
        f"{header[0]:>10} {header[1]:>8} {header[2]:>8}" + "".join(f"{h:>10}" for h in header[3:])
    )
    with tempfile.TemporaryDirectory() as folder:
        for clients in args.clients:
            figures = measure(f"sqlite:///{Path(folder) / f'review_{clients}.db'}", clients)
            row(["SQLite", clients, *figures])
    if args.postgres:
        for clients in args.clients:
            with scratch_database(args.postgres) as url:
                row(["PostgreSQL", clients, *measure(url, clients)])


def row(values: list[object]) -> None:
    backend, clients, *figures = values
    assert isinstance(clients, int)
    print(
        f"{backend:>10} {clients:>8} {clients * EVENTS_PER_CLIENT:>8}"
        + "".join(f"{f:>10.1f}" for f in figures)  # type: ignore[str-format]
    )


if __name__ == "__main__":
    main()
