"""Chaos figures: texts lost, replies missing, duplicated or out of order when the real bot
process is killed, stopped or doubled under load (the scenarios of tests/chaos, printed instead
of asserted). `--code DIR` runs the bot from another checkout of this project (an older commit,
say, for before-and-after figures); the clients, the double and the reference are this one's.

Run: `.venv/bin/python bench/chaos.py [--postgres URL] [--code DIR] [--scenarios LIST]`,
LIST from kill,term,two,down (all by default; two and down need --postgres: "down" stops a
private PostgreSQL cluster of its own for 20 s)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the double and the harness live with the tests

from startup import scratch_database  # noqa: E402 (bench/, beside this script)

from dialogs import load_flows  # noqa: E402
from dialogs.engine import REQUIRED_FLOWS  # noqa: E402
from prompts import Renderer  # noqa: E402
from tests.chaos import harness  # noqa: E402
from tests.telegram_bot import TOKEN  # noqa: E402
from tests.telegram_double import TelegramDouble  # noqa: E402


async def scenario(name: str, load: harness.Load, url: str, code: Path, log: Path) -> str:
    async with TelegramDouble(TOKEN) as double:
        if name == "down":
            cluster = harness.PrivateCluster(free_port())
            try:
                cluster.create()
                cluster.start()
                figures = await harness.database_down(double, cluster, load, log, 20, cwd=code)
            finally:
                with contextlib.suppress(Exception):
                    cluster.stop()
                cluster.remove()
        elif name == "kill":
            figures = await harness.killed(double, url, load, log, kills=5, cwd=code)
        elif name == "term":
            figures = await harness.terminated(double, url, load, log, cwd=code)
        else:
            figures = await harness.doubled(double, url, load, log, cwd=code)
    return f"{name}: {figures}; exits {figures.exits}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a server URL; a scratch database is made there")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run the bot from")
    parser.add_argument("--scenarios", default="kill,term,two,down")
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--texts", type=int, default=15)
    parser.add_argument(
        "--telegram-pace",
        action="store_true",
        help="send at Telegram's pace (28/s, 1.1 s a chat) instead of the tests' fast one",
    )
    args = parser.parse_args()
    renderer = Renderer()
    scripts = [harness.script(n, args.texts) for n in range(args.clients)]
    expected = harness.expected_replies(
        load_flows(renderer, required=REQUIRED_FLOWS), renderer, scripts
    )
    pace = {"ALONGSIDE_SEND_PER_SECOND": "28", "ALONGSIDE_CHAT_SEND_INTERVAL": "1.1"}
    load = harness.Load(
        scripts, expected, settle_seconds=180, env=pace if args.telegram_pace else {}
    )
    for name in args.scenarios.split(","):
        if name in ("two", "down") and args.postgres is None:
            continue  # several processes, and a database stopped: PostgreSQL only
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "bot.log"
            if args.postgres is None:
                url = f"sqlite:///{folder}/alongside.db"
                print(asyncio.run(scenario(name, load, url, args.code, log)), flush=True)
                continue
            with scratch_database(args.postgres) as url:
                print(asyncio.run(scenario(name, load, url, args.code, log)), flush=True)


if __name__ == "__main__":
    main()
