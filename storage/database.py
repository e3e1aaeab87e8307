"""The database: engine set-up for SQLite and PostgreSQL, migrations, and the turn boundary."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, func, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine, select

from storage import erasure
from storage.client_keys import lookup_for
from storage.keyring import KeyRing
from storage.models import Client, OutboxMessage, utcnow
from storage.sealed import bind_ring
from storage.turn import Turn

SQLITE_BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 12  # PostgreSQL connections kept: turn workers, the sender's sends, the rest
CLIENT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CLIENT_CODE_LENGTH = 6


@dataclass(frozen=True)
class OutboxItem:
    """A reply waiting to be delivered, with the address to deliver it to."""

    id: int
    client_id: int
    channel: str
    external_id: str
    text: str
    choices: tuple[tuple[str, str], ...]  # (callback data, label)
    attachment: tuple[str, str, bytes] | None = None  # (document | photo, file name, content)

    def __repr__(self) -> str:  # no text or file content in reprs (and so in logs)
        return f"OutboxItem(id={self.id}, client_id={self.client_id}, channel={self.channel!r})"


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and immediate write transactions.
    `hide_parameters`: a failed statement's error names no values, so no client text is logged."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(
        url, pool_pre_ping=True, hide_parameters=True, pool_size=POOL_SIZE, max_overflow=POOL_SIZE
    )


def _configure_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so turns can begin IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten with zeros
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def lock_key(channel: str, external_id: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory lock on one client."""
    digest = hashlib.blake2b(f"{channel}:{external_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def new_client_code() -> str:
    return "".join(secrets.choice(CLIENT_CODE_ALPHABET) for _ in range(CLIENT_CODE_LENGTH))


class Database:
    """One database, by URL, and the keys its clients' words are sealed with (none: plaintext).
    Nothing here loads data for all clients."""

    def __init__(self, url: str, keys: KeyRing | None = None) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.keys = keys or KeyRing()
        self.keys.lookup = lookup_for(self.engine)
        bind_ring(self.engine, self.keys)

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        with self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def schema_is_current(self) -> bool:
        """The database answers, and its schema is at the newest revision this code knows."""
        script = ScriptDirectory.from_config(alembic_config(self.url))
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
        return set(current) == set(script.get_heads())

    def scrub(self) -> bool:
        """Leave no readable copy of erased rows in the files (storage.erasure)."""
        return erasure.scrub(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def turn(
        self,
        channel: str,
        external_id: str,
        *,
        locale: str = "en",
        now: datetime | None = None,
    ) -> Iterator[Turn]:
        """One client's turn: the client is locked before anything is read, and all of the
        turn's writes commit together when the block ends (or none do, if it raises)."""
        with self.write_session() as session:
            yield self.open_turn(session, channel, external_id, locale=locale, now=now)

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A transaction that writes: `BEGIN IMMEDIATE` on SQLite. Commits when the block ends."""
        with self.engine.connect() as connection:
            if self.is_sqlite:
                connection = connection.execution_options(immediate=True)
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    def open_turn(
        self,
        session: Session,
        channel: str,
        external_id: str,
        *,
        locale: str = "en",
        now: datetime | None = None,
    ) -> Turn:
        """A turn on `session`'s transaction, the client locked first (on PostgreSQL with
        `pg_advisory_xact_lock`; SQLite's `BEGIN IMMEDIATE` already serialises writers)."""
        if not self.is_sqlite:
            session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(channel, external_id)}
            )
        client = self._client_for(session, channel, external_id, locale)
        return Turn(session, client, now=now)

    def _client_for(self, session: Session, channel: str, external_id: str, locale: str) -> Client:
        found = session.exec(
            select(Client).where(Client.channel == channel, Client.external_id == external_id)
        ).first()
        if found is not None:
            return found
        for _ in range(5):
            client = Client(
                channel=channel, external_id=external_id, code=new_client_code(), locale=locale
            )
            try:
                with session.begin_nested():
                    session.add(client)
                    session.flush()
            except IntegrityError:  # a code collision: draw again
                continue
            return client
        raise RuntimeError("could not allocate a client code")

    def pending_outbox(
        self, *, client_id: int | None = None, channel: str | None = None, limit: int = 100
    ) -> list[OutboxItem]:
        """Replies not yet delivered, oldest first: for one client, or for anyone on a channel
        (bounded)."""
        query: Any = (
            select(OutboxMessage, Client.channel, Client.external_id)
            .join(Client, Client.id == OutboxMessage.client_id)  # type: ignore[arg-type]
            .where(OutboxMessage.status == "pending", Client.unreachable == False)  # noqa: E712
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            .limit(limit)
        )
        if client_id is not None:
            query = query.where(OutboxMessage.client_id == client_id)
        if channel is not None:
            query = query.where(Client.channel == channel)
        with Session(self.engine) as session:
            rows = session.execute(query).all()
        return [
            self.outbox_item(message, channel, external_id)
            for message, channel, external_id in rows
        ]

    @staticmethod
    def outbox_item(message: OutboxMessage, channel: str, external_id: str) -> OutboxItem:
        assert message.id is not None
        return OutboxItem(
            id=message.id,
            client_id=message.client_id,
            channel=channel,
            external_id=external_id,
            text=message.text,
            choices=tuple((c["data"], c["label"]) for c in message.choices),
            attachment=(
                (message.attachment_kind, message.attachment_name or "file", message.attachment)
                if message.attachment_kind and message.attachment is not None
                else None
            ),
        )

    def mark_sent(self, outbox_id: int) -> None:
        """Delivered: an attached file is not kept once the client has it."""
        self._set_outbox(outbox_id, status="sent", sent_at=utcnow(), attachment=None)

    def mark_failed_attempt(self, outbox_id: int, max_attempts: int) -> None:
        """Count a failed delivery; after `max_attempts` the reply is dropped, not retried."""
        with Session(self.engine) as session, session.begin():
            message = session.get(OutboxMessage, outbox_id)
            if message is None:
                return
            message.attempts += 1
            if message.attempts >= max_attempts:
                message.status = "dropped"
                message.attachment = None

    def mark_unreachable(self, client_id: int) -> None:
        """The client blocked the bot: stop writing to them, and drop what was queued."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Client).where(Client.id == client_id).values(unreachable=True)  # type: ignore[arg-type]
            )
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.client_id == client_id, OutboxMessage.status == "pending")  # type: ignore[arg-type]
                .values(status="dropped", attachment=None)
            )

    def count_clients(self) -> int:
        with Session(self.engine) as session:
            return int(session.execute(select(func.count()).select_from(Client)).scalar_one())

    def _set_outbox(self, outbox_id: int, **values: Any) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values)  # type: ignore[arg-type]
            )


def alembic_config(url: str) -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside this package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
