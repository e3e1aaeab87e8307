"""What encryption at rest costs a turn: many short conversations through the real engine, on
SQLite (and PostgreSQL with --postgres), each turn timed twice over:

* **sealing work**: the time spent inside the encryption during the turn (finding or making
  the client's key, marking values for it, and the sealed columns' whole conversions: JSON,
  sealing each value written, opening each value read), measured by timing those functions;
  its median must stay within 1 ms;
* **whole turn**: the median turn with a data key and without one, interleaved, for scale
  (the difference is within the noise of a shared machine).

Run: `.venv/bin/python bench/privacy_at_rest.py [--postgres URL] [--clients 20]`."""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the harness lives with the tests

from startup import scratch_database  # noqa: E402 (bench/, beside this script)

import storage.client_keys  # noqa: E402
import storage.sealed  # noqa: E402
from dialogs import Conversation, load_flows  # noqa: E402
from dialogs.engine import REQUIRED_FLOWS  # noqa: E402
from prompts import Renderer  # noqa: E402
from storage import Database  # noqa: E402
from storage.keyring import KeyRing, new_key  # noqa: E402
from tests.harness import TestClient  # noqa: E402

BUDGET_MS = 1.0
SPENT = [0.0]  # seconds inside the sealing functions since the last reset
LINES = [
    "my drinking at weekends, mostly with work friends",
    "to wake up without a headache on Sunday",
    "six pints on Friday and Saturday, sometimes more",
    "I'd like to have a glass of water between pints",
    "it's hard when everyone is buying rounds",
    "maybe I could leave before the last round",
]


def timed(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[0] += time.perf_counter() - started

    return wrapper


def instrument() -> None:
    """Time every place the encryption runs: keys found or made, values sealed and opened."""
    for column_type in storage.sealed.SEALED_TYPES:
        for name in ("process_bind_param", "process_result_value"):
            setattr(column_type, name, timed(getattr(column_type, name)))
    storage.client_keys.client_key = timed(storage.client_keys.client_key)  # type: ignore[assignment]
    storage.client_keys.with_client_key = timed(storage.client_keys.with_client_key)


def conversation_turns(client: TestClient) -> Iterator[Callable[[], object]]:
    yield lambda: client.say("/start")
    yield lambda: client.tap("Yes, that's OK")
    yield lambda: client.tap("Yes, they may read it")
    for line in LINES:
        yield lambda line=line: client.say(line)  # type: ignore[misc]


def measure(url_for: Callable[[str], str], clients: int) -> str:
    renderer = Renderer()
    flows = load_flows(renderer, required=REQUIRED_FLOWS)
    sealed_db = Database(url_for("sealed"), keys=KeyRing.from_settings(new_key(), None))
    plain_db = Database(url_for("plain"))
    for db in (sealed_db, plain_db):
        db.migrate()
    sealed, plain = (
        Conversation(sealed_db, flows, renderer),
        Conversation(plain_db, flows, renderer),
    )
    work: list[float] = []
    turns: dict[str, list[float]] = {"sealed": [], "plain": []}
    for n in range(clients):
        pairs = zip(
            conversation_turns(TestClient(sealed, who=f"client-{n}")),
            conversation_turns(TestClient(plain, who=f"client-{n}")),
            strict=True,
        )
        for with_key, without in pairs:
            SPENT[0] = 0.0
            started = time.perf_counter()
            with_key()
            turns["sealed"].append(time.perf_counter() - started)
            work.append(SPENT[0])
            started = time.perf_counter()
            without()
            turns["plain"].append(time.perf_counter() - started)
    for db in (sealed_db, plain_db):
        db.dispose()
    median_ms = statistics.median(work) * 1000
    p95_ms = statistics.quantiles(work, n=20)[18] * 1000
    verdict = "within" if median_ms <= BUDGET_MS else "OVER"
    return (
        f"{len(work)} turns: sealing work per turn median {median_ms:.3f} ms, "
        f"p95 {p95_ms:.3f} ms ({verdict} the {BUDGET_MS:g} ms budget); whole turn median "
        f"{statistics.median(turns['sealed']) * 1000:.1f} ms with a key, "
        f"{statistics.median(turns['plain']) * 1000:.1f} ms without"
    )


@contextmanager
def sqlite_urls() -> Iterator[Callable[[str], str]]:
    with tempfile.TemporaryDirectory() as folder:
        yield lambda name: f"sqlite:///{folder}/{name}.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a server URL; scratch databases are made there")
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    instrument()
    with sqlite_urls() as url_for:
        print("SQLite:", measure(url_for, args.clients))
    if args.postgres:
        with (
            scratch_database(args.postgres) as sealed_url,
            scratch_database(args.postgres) as plain_url,
        ):
            urls = {"sealed": sealed_url, "plain": plain_url}
            print("PostgreSQL:", measure(urls.__getitem__, args.clients))


if __name__ == "__main__":
    main()
