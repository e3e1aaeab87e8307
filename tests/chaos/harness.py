# ruff: noqa: ASYNC109 (the waits take a plain `timeout`, which reads best in a test)

"""Chaos runs: the real bot (`alongside run`, a child process) against the Bot API double, many
clients writing at their own pace while the bot is killed, stopped or doubled.

Each client sends a fixed script (/start, typed consent, then numbered texts) at a steady
rate, whatever the bot does, as people do. What each client should see is worked out first by
running the same script through the engine in this process; afterwards every chat is compared
with it: replies missing, repeated (a reply sent again after a crash shows up right after
itself), or out of order. Updates lost are the ones whose turn never ran (not in
`processed_update`), which also works for a bot that does not keep an inbox."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from dialogs import Conversation, FlowSet, Inbound, InboundKind
from dialogs.messages import as_messages
from prompts import Renderer
from storage import Database
from tests.telegram_bot import TOKEN
from tests.telegram_double import TelegramDouble

ROOT = Path(__file__).parents[2]
SETUP = ("/start", "Yes, that's OK", "No, thank you")
FIRST_CHAT = 50_000
DOCKER_STOP_SECONDS = 10  # `docker stop` waits this long after SIGTERM, then kills


def script(client: int, texts: int) -> list[str]:
    return [*SETUP, *(f"note {i} of {client}, in my words" for i in range(1, texts + 1))]


def expected_replies(
    flows: FlowSet, renderer: Renderer, scripts: list[list[str]]
) -> list[list[str]]:
    """What each client should see (a turn's parts joined into messages as the bot sends
    them), from the engine in this process (a scratch SQLite file)."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/reference.db")
        db.migrate()
        conversation = Conversation(db, flows, renderer)
        seen = []
        for n, lines in enumerate(scripts):
            replies: list[str] = []
            for line in lines:
                is_command = line.startswith("/")
                inbound = Inbound(
                    channel="telegram",
                    external_id=str(FIRST_CHAT + n),
                    kind=InboundKind.COMMAND if is_command else InboundKind.TEXT,
                    text=line[1:] if is_command else line,
                    locale="en",
                )
                outcome = conversation.handle(inbound)  # as Telegram messages: parts joined
                replies.extend(message.text for message in as_messages(list(outcome.replies)))
            seen.append(replies)
        db.dispose()
    return seen


@dataclass
class Figures:
    """What a run came to, over all clients."""

    sent: int = 0  # updates the clients sent
    lost: int = 0  # updates whose turn never ran
    unanswered: int = 0  # expected replies never seen
    duplicates: int = 0  # replies seen twice
    most_duplicates_in_a_chat: int = 0  # a person sees at most one repeat per crash
    out_of_order: int = 0  # replies seen where another was expected
    exits: list[int | None] = field(default_factory=list)  # exit codes of stopped processes
    stops: list[float] = field(default_factory=list, compare=False)  # seconds SIGTERM took
    conflicts: int = field(default=0, compare=False)  # getUpdates refused: another poller

    def __str__(self) -> str:
        return (
            f"{self.lost} of {self.sent} texts lost, {self.unanswered} replies missing, "
            f"{self.duplicates} duplicates (at most {self.most_duplicates_in_a_chat} in a chat), "
            f"{self.out_of_order} out of order; SIGTERM took "
            + (", ".join(f"{s:.1f}" for s in self.stops) or "-")
            + f" s; {self.conflicts} polls refused with 409"
        )


def compare(expected: list[str], seen: list[str], figures: Figures) -> None:
    i = duplicates = 0
    for j, reply in enumerate(seen):
        if i < len(expected) and reply == expected[i]:
            i += 1
        elif j > 0 and reply == seen[j - 1]:
            duplicates += 1
        else:
            figures.out_of_order += 1
    figures.unanswered += len(expected) - i
    figures.duplicates += duplicates
    figures.most_duplicates_in_a_chat = max(figures.most_duplicates_in_a_chat, duplicates)


class BotProcess:
    """`alongside run` in a child process, its output appended to one log file."""

    def __init__(self, env: dict[str, str], log: Path, cwd: Path = ROOT) -> None:
        self.env, self.log, self.cwd = env, log, cwd
        self.process: asyncio.subprocess.Process | None = None
        self.stops: list[float] = []  # how long each SIGTERM took

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=out,
            )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self, timeout: float = 30) -> int | None:
        """SIGTERM, and its exit code; past `timeout`, SIGABRT, so the log gets every
        thread's stack (PYTHONFAULTHANDLER), and None."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        began = time.monotonic()
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
            self.stops.append(time.monotonic() - began)
            return code
        except TimeoutError:
            self.process.send_signal(signal.SIGABRT)
            await self.process.wait()
            return None

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.kill()


def bot_env(double: TelegramDouble, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": double.base_url,
        "ALONGSIDE_DATABASE_URL": database_url,
        "ALONGSIDE_REVIEW_ENABLED": "false",
        "ALONGSIDE_ALLOW_PLAINTEXT": "true",  # the harness reads the stored text to check it
        "TELEGRAM_POLL_TIMEOUT": "1",
        "ALONGSIDE_SCHEDULER_INTERVAL": "60",
        # Telegram's pace would make each run minutes long; the double keeps no limit.
        "ALONGSIDE_SEND_PER_SECOND": "500",
        "ALONGSIDE_CHAT_SEND_INTERVAL": "0.02",
        "ALONGSIDE_LOG_LEVEL": "INFO",
        "PYTHONFAULTHANDLER": "1",
        **extra,
    }


async def send_scripts(
    double: TelegramDouble, scripts: list[list[str]], interval: float
) -> list[int]:
    """Every client sends its script, one line every `interval` seconds (clients staggered);
    returns the update ids pushed."""
    pushed: list[int] = []

    async def client(n: int, lines: list[str]) -> None:
        await asyncio.sleep(interval * n / len(scripts))
        for line in lines:
            chat = FIRST_CHAT + n
            if line.startswith("/"):
                pushed.append(double.push_command(chat, line))
            else:
                pushed.append(double.push_text(chat, line))
            await asyncio.sleep(interval)

    await asyncio.gather(*(client(n, lines) for n, lines in enumerate(scripts)))
    return pushed


def seen_by(double: TelegramDouble, clients: int) -> Iterator[list[str]]:
    for n in range(clients):
        yield [message.text for message in double.chats[FIRST_CHAT + n].messages]


async def settle(double: TelegramDouble, expected: list[list[str]], timeout: float) -> None:
    """Until every chat has at least its expected number of replies, or `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(
            len(seen) >= len(want)
            for seen, want in zip(seen_by(double, len(expected)), expected, strict=True)
        ):
            await asyncio.sleep(0.5)  # a late duplicate would show up now
            return
        await asyncio.sleep(0.2)


def processed(database_url: str) -> set[int]:
    db = Database(database_url)
    try:
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT update_id FROM processed_update")).all()
    finally:
        db.dispose()
    return {int(row[0]) for row in rows}


def tally(
    double: TelegramDouble,
    expected: list[list[str]],
    pushed: list[int],
    database_url: str,
    figures: Figures,
) -> Figures:
    figures.sent = len(pushed)
    figures.lost = len(set(pushed) - processed(database_url))
    for want, seen in zip(expected, seen_by(double, len(expected)), strict=True):
        compare(want, seen, figures)
    return figures


def words_in_log(log: Path, scripts: list[list[str]]) -> list[str]:
    """Client texts (not commands or button labels) that reached the log."""
    logged = log.read_text(errors="replace")
    return [line for lines in scripts for line in lines[len(SETUP) :] if line in logged]


# -- the scenarios (the tests assert on their figures; bench/chaos.py prints them) -------------


async def started(double: TelegramDouble, call: str = "getUpdates") -> None:
    """Until the (re)started bot makes `call` (it polls: it is up and working)."""
    before = double.calls.count(call)
    await double.wait_until(lambda: double.calls.count(call) > before, timeout=60)


@dataclass
class Load:
    scripts: list[list[str]]
    expected: list[list[str]]
    interval: float = 0.5  # seconds between one client's messages
    settle_seconds: float = 60.0
    env: dict[str, str] = field(default_factory=dict)  # settings for the bot process


async def _one_bot_under_load(
    double: TelegramDouble,
    url: str,
    load: Load,
    log: Path,
    cwd: Path,
    upset: Callable[[BotProcess, Figures], Awaitable[None]],
) -> Figures:
    """One bot process through the whole load, with `upset` done to it while the clients
    write; stopped cleanly at the end, and every reply tallied."""
    bot, figures = BotProcess(bot_env(double, url, **load.env), log, cwd), Figures()
    await bot.start()
    try:
        await started(double)
        sending = asyncio.create_task(send_scripts(double, load.scripts, load.interval))
        await upset(bot, figures)
        pushed = await sending
        await settle(double, load.expected, load.settle_seconds)
        figures.exits.append(await bot.terminate())
    finally:
        await bot.stop()
    figures.stops = bot.stops
    return tally(double, load.expected, pushed, url, figures)


async def killed(
    double: TelegramDouble, url: str, load: Load, log: Path, kills: int, cwd: Path = ROOT
) -> Figures:
    """SIGKILL `kills` times during the load, each time restarted at once."""

    async def kill(bot: BotProcess, _: Figures) -> None:
        for _ in range(kills):
            await asyncio.sleep(random.uniform(0.5, 1.2))
            await bot.kill()
            await bot.start()
            await started(double)

    return await _one_bot_under_load(double, url, load, log, cwd, kill)


async def terminated(
    double: TelegramDouble, url: str, load: Load, log: Path, cwd: Path = ROOT
) -> Figures:
    """One SIGTERM (a redeploy) 3 s into the load, killed if still running 10 s later as
    `docker stop` does; started again once it has exited."""

    async def redeploy(bot: BotProcess, figures: Figures) -> None:
        await asyncio.sleep(3)
        figures.exits.append(await bot.terminate(DOCKER_STOP_SECONDS))
        await bot.start()
        await started(double)

    return await _one_bot_under_load(double, url, load, log, cwd, redeploy)


async def doubled(
    double: TelegramDouble, url: str, load: Load, log: Path, cwd: Path = ROOT
) -> Figures:
    """Two processes on one token and one database, through the whole load; the double
    answers a second poller at once with 409 Conflict, as Telegram does."""
    bots, figures = (
        [BotProcess(bot_env(double, url, **load.env), log, cwd) for _ in range(2)],
        Figures(),
    )
    double.exclusive_polling = True
    try:
        for n, bot in enumerate(bots):
            await bot.start()
            await started(double, "getUpdates" if n == 0 else "setMyCommands")  # one polls
        pushed = await send_scripts(double, load.scripts, load.interval)
        await settle(double, load.expected, load.settle_seconds)
        # Polls refused while both ran; stopping the poller first may leave its last long poll
        # open at the double as the other takes over, and that one 409 is Telegram's way too.
        figures.conflicts = double.conflicts
        figures.exits.extend([await bot.terminate() for bot in bots])
    finally:
        for bot in bots:
            await bot.stop()
    figures.stops = [seconds for bot in bots for seconds in bot.stops]
    return tally(double, load.expected, pushed, url, figures)


async def poller_killed(
    double: TelegramDouble, url: str, load: Load, log: Path, cwd: Path = ROOT
) -> Figures:
    """Two processes; the one that polls is killed (SIGKILL) 3 s into the load and not
    restarted: the other must take over polling, and every text still be answered."""
    bots, figures = (
        [BotProcess(bot_env(double, url, **load.env), log, cwd) for _ in range(2)],
        Figures(),
    )
    double.exclusive_polling = True
    try:
        await bots[0].start()
        await started(double)  # the first to start polls
        await bots[1].start()
        await started(double, "setMyCommands")
        sending = asyncio.create_task(send_scripts(double, load.scripts, load.interval))
        await asyncio.sleep(3)
        await bots[0].kill()
        pushed = await sending
        await settle(double, load.expected, load.settle_seconds)
        figures.exits.append(await bots[1].terminate())
    finally:
        for bot in bots:
            await bot.stop()
    figures.stops = bots[1].stops
    figures.conflicts = double.conflicts
    return tally(double, load.expected, pushed, url, figures)


# -- a PostgreSQL server of the test's own, to stop and start --------------------------------


class PrivateCluster:
    """A PostgreSQL cluster in a temporary folder on its own port, never the machine's shared
    server. initdb refuses root, so as root it runs as the `postgres` user."""

    def __init__(self, port: int) -> None:
        # Its own folder under /tmp: pytest's are closed to other users.
        self.home = Path(tempfile.mkdtemp(prefix="alongside-pg-"))
        self.folder, self.port = self.home / "cluster", port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not versions:
            raise FileNotFoundError("no PostgreSQL server binaries in /usr/lib/postgresql")
        self.bin = versions[-1].parent

    def _run(self, *command: str) -> None:
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        self.folder.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.folder), "-U", "postgres",
            "-A", "trust", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        log = str(self.folder / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder), "-o", options, "-l", log,
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


async def database_down(
    double: TelegramDouble,
    cluster: PrivateCluster,
    load: Load,
    log: Path,
    down_seconds: float,
    cwd: Path = ROOT,
) -> Figures:
    """The database stopped `down_seconds` from 3 s into the load, then started again; the
    bot runs throughout."""
    bot, figures = BotProcess(bot_env(double, cluster.url, **load.env), log, cwd), Figures()
    await bot.start()
    try:
        await started(double)
        sending = asyncio.create_task(send_scripts(double, load.scripts, load.interval))
        await asyncio.sleep(3)
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(down_seconds)
        await asyncio.to_thread(cluster.start)
        pushed = await sending
        await settle(double, load.expected, load.settle_seconds)
        assert bot.process is not None
        figures.exits.append(bot.process.returncode)  # None: still running, as it should be
        figures.exits.append(await bot.terminate())
    finally:
        await bot.stop()
    figures.stops = bot.stops
    return tally(double, load.expected, pushed, cluster.url, figures)
