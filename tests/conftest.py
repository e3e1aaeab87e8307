"""Shared fixtures: a fresh database on SQLite, and on PostgreSQL when it is configured.

PostgreSQL tests run when ALONGSIDE_TEST_POSTGRES_URL names a server, for example
    ALONGSIDE_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test
Each test session creates its own database there and drops it at the end. With
ALONGSIDE_REQUIRE_POSTGRES=1 (as in CI) a missing or unreachable server fails the run
instead of skipping those tests.

With ALONGSIDE_TEST_DATA_KEY set (a key from `alongside keys new`), the `db` fixtures seal
clients' words with it, so any storage test can be run again with encryption at rest on."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.app import Services
from bot.logs import QUIET_LOGGERS, configure_logging
from bot.settings import Settings
from dialogs import Conversation, load_flows
from dialogs.engine import REQUIRED_FLOWS
from prompts import Renderer
from storage import Database
from storage.keyring import KeyRing
from tests.telegram_bot import ALEX, SAM, TOKEN, Person, RunningBot, bot_services, running
from tests.telegram_double import TelegramDouble

POSTGRES_ENV = "ALONGSIDE_TEST_POSTGRES_URL"
DATA_KEY_ENV = "ALONGSIDE_TEST_DATA_KEY"
REQUIRE_ENV = "ALONGSIDE_REQUIRE_POSTGRES"
HOW_TO_ENABLE = (
    f"PostgreSQL tests skipped: set {POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/test "
    "to run them"
)


def _postgres_admin_url() -> str | None:
    raw = os.environ.get(POSTGRES_ENV, "").strip()
    if not raw:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {POSTGRES_ENV} is not set", pytrace=False)
        return None
    return Settings(ALONGSIDE_DATABASE_URL=raw).database_url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the configured server, migrated."""
    admin = _postgres_admin_url()
    if admin is None:
        pytest.skip(HOW_TO_ENABLE)
    name = f"alongside_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"PostgreSQL at {POSTGRES_ENV} is not usable: {error}", pytrace=False)
        pytest.skip(f"{HOW_TO_ENABLE} (the server did not answer: {type(error).__name__})")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    Database(url).migrate()
    yield url
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _empty_tables(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def keys_for_tests() -> KeyRing | None:
    """The keys the `db` fixtures use: none (plaintext) unless ALONGSIDE_TEST_DATA_KEY is set."""
    key = os.environ.get(DATA_KEY_ENV, "").strip()
    return KeyRing.from_settings(key, None) if key else None


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'alongside.db'}", keys=keys_for_tests())
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url, keys=keys_for_tests())
    _empty_tables(db)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database on each backend, by URL: for what opens its own (the bot
    process, the key and backup commands)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'alongside.db'}"
        db = Database(url)
        db.migrate()
    else:
        url = request.getfixturevalue("postgres_url")
        db = Database(url)
        _empty_tables(db)
    db.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on every backend: a contract, not two test suites."""
    return request.getfixturevalue(f"{request.param}_db")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture(scope="session")
def flows(renderer: Renderer):  # type: ignore[no-untyped-def]
    return load_flows(renderer, required=REQUIRED_FLOWS)


@pytest.fixture
def conversation(sqlite_db: Database, flows, renderer: Renderer) -> Conversation:  # type: ignore[no-untyped-def]
    return Conversation(sqlite_db, flows, renderer)


# -- the bot on Telegram: the real Application against the Bot API double ----------------------


@pytest.fixture
async def double() -> AsyncIterator[TelegramDouble]:
    async with TelegramDouble(TOKEN) as double:
        yield double


@pytest.fixture
def services(tmp_path: Path, double: TelegramDouble) -> Iterator[Services]:
    """The bot's services on a SQLite file; a test module overrides this for other settings."""
    with bot_services(tmp_path, double) as services:
        yield services


@pytest.fixture
async def bot(services: Services, double: TelegramDouble) -> AsyncIterator[RunningBot]:
    async with running(services, double) as under_test:
        yield under_test


@pytest.fixture
def alex(bot: RunningBot) -> Person:
    return Person(bot, ALEX)


@pytest.fixture
def sam(bot: RunningBot) -> Person:
    return Person(bot, SAM)


@pytest.fixture(params=["INFO", "DEBUG"])
def app_logging(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[pytest.LogCaptureFixture]:
    """The app's own logging set-up (at INFO, and at DEBUG), and `caplog` seeing every record
    that set-up lets through."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIET_LOGGERS}
    configure_logging(request.param, [TOKEN])
    caplog.handler.setLevel(logging.DEBUG)
    root.addHandler(caplog.handler)  # after the app's handler, so it sees what that one sees
    yield caplog
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(autouse=True)
def _dashboard_answers_the_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starlette's TestClient sends `Host: testserver`; the dashboard answers only the hosts
    in ALONGSIDE_REVIEW_ALLOWED_HOSTS (tests of that check set their own)."""
    monkeypatch.setenv("ALONGSIDE_REVIEW_ALLOWED_HOSTS", "127.0.0.1,localhost,::1,testserver")
