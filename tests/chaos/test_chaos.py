"""Chaos on 127.0.0.1: the real bot process, killed with SIGKILL and restarted, stopped with
SIGTERM, run twice on one database (and the polling one killed), and left running while
PostgreSQL (a private cluster the test starts) is stopped for 20 s, while 40 clients write 15
texts each (after /start and their consent). Every text must get its replies, in order; a
crash may repeat a reply that was in flight, at most one per chat per crash; and no client
text may reach the bot's log. Select them with `-m chaos`, leave them out with
`-m "not chaos"`."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sender import SENDS_AT_ONCE
from dialogs import FlowSet
from prompts import Renderer
from storage import Database
from tests.chaos import harness
from tests.chaos.harness import Figures, Load
from tests.conftest import _empty_tables
from tests.telegram_double import TelegramDouble

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(240)]

CLIENTS, TEXTS = 40, 15  # and 3 messages before the texts: /start, yes, no
KILLS = 5
DOWN_SECONDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_expected: list[list[str]] = []


@pytest.fixture
def scripts() -> list[list[str]]:
    return [harness.script(n, TEXTS) for n in range(CLIENTS)]


@pytest.fixture
def expected(flows: FlowSet, renderer: Renderer, scripts: list[list[str]]) -> list[list[str]]:
    if not _expected:  # the same for every run: worked out once
        _expected.extend(harness.expected_replies(flows, renderer, scripts))
    return _expected


@pytest.fixture
def emptied(postgres_url: str) -> None:
    """The shared test database with every table emptied, for a run of the real bot."""
    db = Database(postgres_url)
    _empty_tables(db)
    db.dispose()


@pytest.fixture
def load(scripts: list[list[str]], expected: list[list[str]]) -> Load:
    return Load(scripts, expected)


async def test_killed_five_times_during_the_load_loses_nothing(
    double: TelegramDouble, database_url: str, load: Load, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    figures = await harness.killed(double, database_url, load, log, KILLS)
    print(f"SIGKILL x{KILLS}: {figures}")
    assert (figures.lost, figures.unanswered, figures.out_of_order) == (0, 0, 0), figures
    # A crash can repeat the sends in flight at that moment, one per chat at most.
    assert figures.most_duplicates_in_a_chat <= KILLS, figures
    assert figures.duplicates <= KILLS * SENDS_AT_ONCE, figures
    assert figures.exits == [0]
    assert harness.words_in_log(log, load.scripts) == []


async def test_a_sigterm_during_the_load_finishes_the_work_and_exits_0(
    double: TelegramDouble, database_url: str, load: Load, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    figures = await harness.terminated(double, database_url, load, log)
    print(f"SIGTERM: {figures}")
    assert figures == Figures(sent=figures.sent, exits=[0, 0]), figures
    assert "stopping: finishing turns and sends" in log.read_text()
    assert harness.words_in_log(log, load.scripts) == []


@pytest.mark.postgres
async def test_two_processes_on_one_token_and_database_answer_each_text_once(
    double: TelegramDouble, postgres_url: str, emptied: None, load: Load, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    figures = await harness.doubled(double, postgres_url, load, log)
    print(f"two processes: {figures}")
    assert figures == Figures(sent=figures.sent, exits=[0, 0]), figures
    assert figures.conflicts == 0  # one poller at a time
    assert harness.words_in_log(log, load.scripts) == []


@pytest.mark.postgres
async def test_when_the_poller_is_killed_the_other_process_takes_over(
    double: TelegramDouble, postgres_url: str, emptied: None, load: Load, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    figures = await harness.poller_killed(double, postgres_url, load, log)
    print(f"poller killed: {figures}")
    assert (figures.lost, figures.unanswered, figures.out_of_order) == (0, 0, 0), figures
    assert figures.most_duplicates_in_a_chat <= 1 and figures.duplicates <= SENDS_AT_ONCE
    assert figures.exits == [0]
    assert log.read_text().count("this process polls Telegram") == 2  # the first, then the other


@pytest.fixture
def cluster() -> Iterator[harness.PrivateCluster]:
    cluster = harness.PrivateCluster(free_port())
    try:
        cluster.create()
        cluster.start()
    except (FileNotFoundError, subprocess.CalledProcessError) as error:
        cluster.remove()
        if os.environ.get("ALONGSIDE_REQUIRE_POSTGRES"):  # CI: the database-down test must run
            raise
        pytest.skip(f"no private PostgreSQL cluster here: {error}")
    db = Database(cluster.url)
    db.migrate()
    db.dispose()
    yield cluster
    with contextlib.suppress(subprocess.CalledProcessError):
        cluster.stop()
    cluster.remove()


async def test_postgresql_stopped_for_20_seconds_mid_load_loses_nothing(
    double: TelegramDouble, cluster: harness.PrivateCluster, load: Load, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    figures = await harness.database_down(double, cluster, load, log, DOWN_SECONDS)
    print(f"PostgreSQL down {DOWN_SECONDS} s: {figures}")
    assert (figures.lost, figures.unanswered, figures.out_of_order) == (0, 0, 0), figures
    assert figures.duplicates <= SENDS_AT_ONCE, figures  # sends whose "sent" was not stored
    assert figures.exits == [None, 0]  # it never exited on its own
    errors = [line for line in log.read_text().splitlines() if " ERROR " in line]
    assert len(errors) <= 5, errors  # once per loop that met the outage, not once per try
    assert harness.words_in_log(log, load.scripts) == []
