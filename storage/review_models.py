"""Tables of the counselors' review dashboard.

Per-client rows (notes, tags, reviews) carry `client_id`, so erasing a client erases them too.
The audit log has no `client_id`: it keeps the pseudonymous code as a string, never message
text, and survives erasure. A database trigger refuses to update or delete audit entries."""

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import _when
from storage.sealed import SealedText


class Counselor(SQLModel, table=True):
    """A dashboard account. Accounts are disabled, never deleted: the audit log names them."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=256)
    role: str = Field(default="counselor", max_length=16)  # counselor | admin
    active: bool = True
    created_at: datetime = _when()
    password_changed_at: datetime = _when()


class ReviewSession(SQLModel, table=True):
    """A signed-in browser. Only a hash of the cookie's token is stored."""

    __tablename__ = "review_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    counselor_id: int = Field(foreign_key="counselor.id", index=True)
    created_at: datetime = _when()
    last_seen_at: datetime = _when()


class SignInThrottle(SQLModel, table=True):
    """Password checks allowed per account name, per address and per trusted browser.

    `key` is a hash of what is throttled ("account:<name>", "address:<ip>", "device:<id>"), so
    a name typed by mistake (perhaps a password) is never stored. A check takes a slot before
    Argon2 runs; a full window blocks the key until `blocked_until`, each block in a row longer
    (`level`), up to a cap, and attempts while blocked change nothing."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(max_length=64, primary_key=True)
    window_started_at: datetime = _when(index=True)
    attempts: int = 0
    level: int = 0
    blocked_until: datetime | None = _when(nullable=True)


class TrustedDevice(SQLModel, table=True):
    """A browser its counselor signed in from: it gets its own throttle, so guesses from
    elsewhere cannot lock the owner out. Only a hash of the cookie's token is stored."""

    __tablename__ = "trusted_device"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    counselor_id: int = Field(foreign_key="counselor.id", index=True)
    created_at: datetime = _when()


class AuditEntry(SQLModel, table=True):
    """Who did what, when, from where. Append-only; no message text, no search text."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _when(index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    client_code: str | None = Field(default=None, max_length=16)
    detail: str | None = Field(default=None, max_length=200)
    address: str = Field(max_length=64)


class ClientNote(SQLModel, table=True):
    """A counselor's private note about a client."""

    __tablename__ = "client_note"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    counselor_id: int = Field(foreign_key="counselor.id")
    text: str = Field(sa_column=Column(SealedText, nullable=False))
    created_at: datetime = _when()


class ClientTag(SQLModel, table=True):
    """A short label counselors put on a client."""

    __tablename__ = "client_tag"
    __table_args__ = (UniqueConstraint("client_id", "tag"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    tag: str = Field(max_length=32)
    counselor_id: int = Field(foreign_key="counselor.id")
    created_at: datetime = _when()


class ClientReview(SQLModel, table=True):
    """A "mark reviewed": the transcript was read up to `last_event_id`."""

    __tablename__ = "client_review"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    counselor_id: int = Field(foreign_key="counselor.id")
    last_event_id: int = 0
    created_at: datetime = _when()
