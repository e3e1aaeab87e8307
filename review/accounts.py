"""Counselor accounts: Argon2id password hashes, roles, and sign-in, throttled before Argon2."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from review import audit, devices, passwords, throttle
from review.db import writing
from storage import Database
from storage.models import utcnow
from storage.review_models import Counselor, ReviewSession

ROLES = ("counselor", "admin")
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_LENGTH
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MAX_CHECKS_PER_ACCOUNT = 5  # password checks per account name (or trusted browser) a window
MAX_CHECKS_PER_ADDRESS = 20  # password checks per address a window
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


def check_password(password: str, *, username: str = "") -> None:
    refused = passwords.problem(password, username=username)
    if refused:
        raise AccountError(refused)


def add(
    db: Database, username: str, password: str, *, role: str, actor: str, address: str
) -> Account:
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise AccountError("a name is 2-64 characters: lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"a role is one of: {', '.join(ROLES)}")
    check_password(password, username=name)
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
    """A new password; the account's sessions and trusted browsers end."""
    check_password(password, username=username.strip().lower())
    with writing(db) as session:
        row = _find(session, username)
        devices.forget_all(session, row.id)
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


@dataclass(frozen=True)
class SignIn:
    """What became of one sign-in: the account if it succeeded, the audited outcome, and a new
    trusted-browser token to set as a cookie (on a success from a browser without one)."""

    account: Account | None
    outcome: str
    device: str | None = None


def authenticate(
    db: Database,
    username: str,
    password: str,
    *,
    address: str,
    gate: throttle.CheckGate,
    device: str | None = None,
) -> SignIn:
    """Sign in, if the name and password match an active account.

    The slots of the attempt's buckets are taken before Argon2 runs: the name and the address,
    or, from a browser this account signed in from before (`device`), that browser alone, so
    guesses from elsewhere never lock the owner out. Then Argon2 runs within `gate`. Every
    outcome is audited; the caller shows one generic message for a failure or a throttle."""
    name = username.strip().lower()[:64]
    now = utcnow()
    with Session(db.engine, expire_on_commit=False) as session:
        row = session.exec(select(Counselor).where(Counselor.username == name)).first()
    trusted = devices.find(db, device, row.id) if device and row and row.id else None
    if trusted is not None:
        buckets = [throttle.bucket("device", str(trusted), MAX_CHECKS_PER_ACCOUNT)]
    else:
        buckets = [
            throttle.bucket("account", name, MAX_CHECKS_PER_ACCOUNT),
            throttle.bucket("address", address[:64], MAX_CHECKS_PER_ADDRESS),
        ]
    result = _attempt(db, row, password, buckets=buckets, now=now, gate=gate)
    if result.outcome == "signed in" and row is not None and row.id is not None:
        throttle.forget(db, buckets[:1])  # the account's (or this browser's) count starts afresh
        if trusted is None:
            throttle.give_back(db, buckets[1:])  # a right password was no guess from there
            result = SignIn(result.account, result.outcome, devices.remember(db, row.id))
    actor = row.username if row else UNKNOWN_ACTOR
    audit.record_now(db, actor=actor, action=result.outcome, address=address)
    return result


def _attempt(
    db: Database,
    row: Counselor | None,
    password: str,
    *,
    buckets: list[throttle.Bucket],
    now: datetime,
    gate: throttle.CheckGate,
) -> SignIn:
    if not throttle.take(db, buckets, now):
        return SignIn(None, "sign-in throttled")
    # The password is checked outside any transaction: Argon2 takes a while, on purpose.
    with gate.slot() as free:
        if not free:
            throttle.give_back(db, buckets)
            return SignIn(None, "sign-in busy")
        if row is None:
            _verify_dummy(password)  # an unknown name costs the same time
            return SignIn(None, "sign-in failed")
        if not (row.active and _verify(row, password)):
            return SignIn(None, "sign-in failed")
        if HASHER.check_needs_rehash(row.password_hash):
            with writing(db) as session:
                session.execute(
                    update(Counselor)
                    .where(col(Counselor.id) == row.id)
                    .values(password_hash=HASHER.hash(password))
                )
    return SignIn(_account(row), "signed in")


def _verify(row: Counselor, password: str) -> bool:
    try:
        return HASHER.verify(row.password_hash, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def _verify_dummy(password: str) -> None:
    with contextlib.suppress(VerificationError):
        HASHER.verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
