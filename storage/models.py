"""The tables. Every client-owned row carries `client_id`, so erasing a client is simple."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from storage.sealed import SealedBytes, SealedJSON, SealedText


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes in UTC and returns them aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    """An aware UTC timestamp column; a required one defaults to now."""
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


class Client(SQLModel, table=True):
    """A person talking to the bot, known by channel and that channel's chat id."""

    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    code: str = Field(max_length=16, unique=True)  # pseudonymous, shown to counselors
    locale: str = Field(default="en", max_length=16)
    consent: str = Field(default="pending", max_length=16)  # pending | given | declined
    consent_version: int | None = None
    consented_at: datetime | None = _when(nullable=True)
    review_consent: bool = False
    country: str | None = Field(default=None, max_length=2)  # for emergency numbers
    unreachable: bool = False
    created_at: datetime = _when()
    last_active_at: datetime = _when(index=True)


class DialogState(SQLModel, table=True):
    """Where a client is in the conversation: one row a client, rewritten every turn."""

    __tablename__ = "dialog_state"

    client_id: int = Field(primary_key=True, foreign_key="client.id")
    flow: str = Field(max_length=64)
    state: str = Field(max_length=64)
    context: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(SealedJSON, nullable=False)
    )
    version: int = 0
    updated_at: datetime = _when()


class Goal(SQLModel, table=True):
    """A goal or step in the client's own words. Replaced goals stay, as history."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    kind: str = Field(max_length=32)  # change | first_step | meaning_step
    option: str | None = Field(default=None, max_length=32)  # less, safer, breaks, ...
    words: str = Field(sa_column=Column(SealedText, nullable=False))
    status: str = Field(default="active", max_length=16)  # active | replaced
    created_at: datetime = _when()
    replaced_at: datetime | None = _when(nullable=True)


class RulerScore(SQLModel, table=True):
    """A 0-10 answer to an importance or confidence ruler, kept over time."""

    __tablename__ = "ruler_score"
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    ruler: str = Field(max_length=16)  # importance | confidence
    score: int
    created_at: datetime = _when()


class TranscriptEvent(SQLModel, table=True):
    """One message in or out. Append-only: rows are inserted, never updated."""

    __tablename__ = "transcript_event"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    direction: str = Field(max_length=3)  # in | out
    kind: str = Field(max_length=16)  # text | choice | command | media | reply
    text: str | None = Field(default=None, sa_column=Column(SealedText, nullable=True))
    choice: str | None = Field(default=None, max_length=64)
    template: str | None = Field(default=None, max_length=128)
    mi_code: str | None = Field(default=None, max_length=2)
    flow: str = Field(max_length=64)
    state: str = Field(max_length=64)
    # Who wrote an outgoing message when it was not the bot: a counselor's name (kind "person").
    author: str | None = Field(default=None, max_length=64)
    created_at: datetime = _when()


class SendSlot(SQLModel, table=True):
    """Sends to Telegram in one fifth of a second, counted across every process on a shared
    PostgreSQL database, so together they keep Telegram's pace (`storage.outbox.reserve_send`).
    Rows older than a minute are deleted as new ones come."""

    __tablename__ = "send_slot"

    slot: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    sent: int = 0


class OutboxMessage(SQLModel, table=True):
    """A reply committed with its turn and not yet confirmed as delivered."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    text: str = Field(sa_column=Column(SealedText, nullable=False))
    choices: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default="pending", max_length=16, index=True)  # pending | sent | dropped
    # A file sent with the reply (the text is its caption); the content is cleared once sent.
    attachment_kind: str | None = Field(default=None, max_length=16)  # document | photo
    attachment_name: str | None = Field(default=None, max_length=128)
    attachment: bytes | None = Field(default=None, sa_column=Column(SealedBytes, nullable=True))
    attempts: int = 0
    part: int = 0  # 0: a turn's first message; later parts wait behind other clients' first
    created_at: datetime = _when()
    sent_at: datetime | None = _when(nullable=True)


class ProcessedUpdate(SQLModel, table=True):
    """A Telegram update id already handled, so a redelivery is a no-op."""

    __tablename__ = "processed_update"

    channel: str = Field(primary_key=True, max_length=16)
    update_id: int = Field(primary_key=True, sa_type=BigInteger)
    client_id: int = Field(foreign_key="client.id", index=True)
    processed_at: datetime = _when()


class SafetyEvent(SQLModel, table=True):
    """A safety screen hit, kept for counselor review. `signal` names the rule that matched;
    the message itself is only in the transcript, and only if the client consented."""

    __tablename__ = "safety_event"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    category: str = Field(max_length=32)  # suicide|overdose|medical|violence|past|possible
    signal: str = Field(max_length=64)
    flow: str = Field(max_length=64)  # where the client was when it happened
    state: str = Field(max_length=64)
    transcript_event_id: int | None = Field(default=None, foreign_key="transcript_event.id")
    created_at: datetime = _when()
    alerted_at: datetime | None = _when(nullable=True)  # when the on-call chat was told
    alert_attempts: int = 0


class CheckinSchedule(SQLModel, table=True):
    """The rhythm a client chose for check-ins: one row a client. `next_due_at` is in UTC; the
    time of day is the client's own, kept with the UTC offset they told us."""

    __tablename__ = "checkin_schedule"

    client_id: int = Field(primary_key=True, foreign_key="client.id")
    cadence: str = Field(max_length=16)  # daily | few_days | weekly | none
    local_minute: int  # minutes after local midnight, 0-1439
    utc_offset_minutes: int  # local time = UTC + offset
    paused: bool = False
    next_due_at: datetime | None = _when(nullable=True, index=True)
    last_sent_at: datetime | None = _when(nullable=True)
    sent_count: int = 0
    created_at: datetime = _when()


class TimedMessage(SQLModel, table=True):
    """A one-off message due at a time, such as the next step of an urge-surfing exercise."""

    __tablename__ = "timed_message"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    kind: str = Field(max_length=16)  # urge
    trigger: str = Field(max_length=32)  # the flow trigger it fires when due
    due_at: datetime = _when(index=True)
    status: str = Field(default="pending", max_length=16)  # pending | sent | cancelled
    created_at: datetime = _when()


class DiaryEntry(SQLModel, table=True):
    """A quick self-monitoring note: a day with or without use, an amount, an activity."""

    __tablename__ = "diary_entry"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    day: date  # the client's local day it is about
    kind: str = Field(max_length=16)  # use | activity
    value: str = Field(max_length=32)  # use: none | some | a_lot; activity: done | none
    words: str | None = Field(default=None, sa_column=Column(SealedText, nullable=True))
    created_at: datetime = _when()


class InboxMessage(SQLModel, table=True):
    """An update received and not yet turned into a turn. Written before Telegram is told it
    arrived; deleted by the turn that handles it, in the same transaction, so the client's
    words stay here only until then."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "update_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64, index=True)
    update_id: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=16)  # text | choice | command | media
    text: str | None = Field(default=None, sa_column=Column(SealedText, nullable=True))
    choice: str | None = Field(default=None, sa_column=Column(SealedText, nullable=True))
    locale: str | None = Field(default=None, max_length=16)
    written_at: datetime = _when()  # when the client sent it
    # What the adapter needs after the turn (a button's query id and message); no words.
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _when()
    attempts: int = 0  # turns that failed on it (not counting a database outage)


class Handoff(SQLModel, table=True):
    """A person from the team writing in a client's chat (issue 12): offered by a counselor or
    asked for by the client, agreed to by the client in the bot, held by one counselor while the
    bot stands aside, then ended (handed back, idle, declined). One open row a client at most;
    ended rows stay, as history."""

    __tablename__ = "handoff"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    status: str = Field(max_length=16, index=True)  # offered | waiting | held | ended
    asked_by: str = Field(max_length=16)  # client | counselor
    counselor: str | None = Field(default=None, max_length=64)  # who holds (or offered) it
    created_at: datetime = _when()
    agreed_at: datetime | None = _when(nullable=True)  # the client said yes in the bot
    held_at: datetime | None = _when(nullable=True)
    idle_at: datetime | None = _when(nullable=True)  # the hold ends by itself at this time
    ended_at: datetime | None = _when(nullable=True)
    end_reason: str | None = Field(default=None, max_length=16)  # handed_back|idle|declined


class ClientKey(SQLModel, table=True):
    """The client's own data key, wrapped by a master key (storage.keyring). Everything sealed
    for the client opens only with it: deleting this row erases every copy (crypto-shredding)."""

    __tablename__ = "client_key"

    client_id: int = Field(primary_key=True, foreign_key="client.id")
    key_id: str = Field(max_length=16, unique=True)  # named in each sealed value
    master_key_id: str = Field(max_length=16, index=True)  # the master key that wraps it
    wrapped: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _when()


class ErasedKey(SQLModel, table=True):
    """The id of a client key erased with its client: random, naming no one, and kept (it has
    no `client_id`), so `alongside restore` can erase again whoever an older backup brings
    back."""

    __tablename__ = "erased_key"

    key_id: str = Field(max_length=16, primary_key=True)
    erased_at: datetime = _when()
