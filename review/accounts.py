"""Counselor accounts: Argon2id password hashes, roles, and sign-in with throttling."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from review import audit
from review.db import writing
from storage import Database
from storage.models import utcnow
from storage.review_models import Counselor, ReviewSession, SignInFailure

ROLES = ("counselor", "admin")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
UNKNOWN_ACTOR = "(unknown name)"  # what was typed may be a password: it is not logged

HASHER = PasswordHasher()  # Argon2id, RFC 9106's low-memory profile


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so an unknown name costs the same time."""
    return HASHER.hash("an account that does not exist")


class AccountError(ValueError):
    """A refused account change, with a message fit to show."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    active: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _account(row: Counselor) -> Account:
    assert row.id is not None
    return Account(row.id, row.username, row.role, row.active, row.created_at)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def add(
    db: Database, username: str, password: str, *, role: str, actor: str, address: str
) -> Account:
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise AccountError("a name is 2-64 characters: lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"a role is one of: {', '.join(ROLES)}")
    check_password(password)
    with writing(db) as session:
        if session.exec(select(Counselor).where(Counselor.username == name)).first():
            raise AccountError(f"there is already an account named {name}")
        row = Counselor(username=name, password_hash=HASHER.hash(password), role=role)
        session.add(row)
        audit.record(
            session, actor=actor, action="account added", address=address, detail=f"{name} ({role})"
        )
        session.flush()
        return _account(row)


def accounts(db: Database) -> list[Account]:
    with Session(db.engine) as session:
        rows = session.exec(select(Counselor).order_by(col(Counselor.username))).all()
        return [_account(r) for r in rows]


def set_active(db: Database, username: str, active: bool, *, actor: str, address: str) -> Account:
    """Enable or disable an account; disabling also ends its sessions."""
    with writing(db) as session:
        row = _find(session, username)
        row.active = active
        if not active:
            session.execute(delete(ReviewSession).where(col(ReviewSession.counselor_id) == row.id))
        audit.record(
            session,
            actor=actor,
            action="account " + ("enabled" if active else "disabled"),
            address=address,
            detail=row.username,
        )
        return _account(row)


def reset_password(db: Database, username: str, password: str, *, actor: str, address: str) -> None:
    """A new password; the account's sessions end."""
    check_password(password)
    with writing(db) as session:
        row = _find(session, username)
        row.password_hash = HASHER.hash(password)
        row.password_changed_at = utcnow()
        session.execute(delete(ReviewSession).where(col(ReviewSession.counselor_id) == row.id))
        audit.record(
            session, actor=actor, action="password reset", address=address, detail=row.username
        )


def _find(session: Session, username: str) -> Counselor:
    name = username.strip().lower()
    row = session.exec(select(Counselor).where(Counselor.username == name)).first()
    if row is None:
        raise AccountError(f"there is no account named {name}")
    return row


def authenticate(db: Database, username: str, password: str, *, address: str) -> Account | None:
    """The account, if the name and password match, the account is active and neither the name
    nor the address has failed too often lately. Every outcome is audited; a failure is counted.
    The caller shows one generic message for every failure."""
    name = username.strip().lower()[:64]
    now = utcnow()
    with Session(db.engine, expire_on_commit=False) as session:
        row = session.exec(select(Counselor).where(Counselor.username == name)).first()
        throttled = _throttled(session, name, address, now)
    actor = row.username if row else UNKNOWN_ACTOR
    # The password is checked outside any transaction: Argon2 takes a while, on purpose.
    if throttled:
        outcome = "sign-in throttled"
    elif row is not None and row.active and _verify(row, password):
        outcome = "signed in"
    else:
        if row is None:
            _verify_dummy(password)
        outcome = "sign-in failed"
    with writing(db) as session:
        audit.record(session, actor=actor, action=outcome, address=address)
        if outcome != "signed in":
            session.add(SignInFailure(username=name, address=address[:64], created_at=now))
            return None
        assert row is not None
        session.execute(delete(SignInFailure).where(col(SignInFailure.username) == name))
        if HASHER.check_needs_rehash(row.password_hash):
            session.execute(
                update(Counselor)
                .where(col(Counselor.id) == row.id)
                .values(password_hash=HASHER.hash(password))
            )
        return _account(row)


def _verify(row: Counselor, password: str) -> bool:
    try:
        return HASHER.verify(row.password_hash, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def _verify_dummy(password: str) -> None:
    with contextlib.suppress(VerificationError):
        HASHER.verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])


def _throttled(session: Session, name: str, address: str, now: datetime) -> bool:
    since = now - THROTTLE_WINDOW
    by_name = session.execute(
        select(func.count())
        .select_from(SignInFailure)
        .where(col(SignInFailure.username) == name, col(SignInFailure.created_at) >= since)
    ).scalar_one()
    by_address = session.execute(
        select(func.count())
        .select_from(SignInFailure)
        .where(col(SignInFailure.address) == address[:64], col(SignInFailure.created_at) >= since)
    ).scalar_one()
    return bool(by_name >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS)
