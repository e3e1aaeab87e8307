"""Server-side sessions: a random token in an HttpOnly cookie, only its hash in the database,
idle and absolute expiry, and a CSRF token derived from the session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from review.accounts import Account, _account
from review.db import writing
from storage import Database
from storage.models import utcnow
from storage.review_models import Counselor, ReviewSession

COOKIE = "alongside_session"
SIGN_IN_COOKIE = "alongside_sign_in"  # the pre-session token of the sign-in form
SEEN_EVERY = timedelta(seconds=30)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class Viewer:
    """The signed-in counselor of one request."""

    account: Account
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The synchronizer token of a session's forms: tied to it, useless without it."""
    return hashlib.sha256(b"csrf:" + session_token.encode()).hexdigest()


def csrf_matches(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


def start(db: Database, account: Account, *, replacing: str | None) -> str:
    """A new session (a new token, always) for `account`; the one it replaces ends."""
    token = secrets.token_urlsafe(32)
    with writing(db) as session:
        if replacing:
            session.execute(
                delete(ReviewSession).where(col(ReviewSession.token_hash) == token_hash(replacing))
            )
        session.add(ReviewSession(token_hash=token_hash(token), counselor_id=account.id))
    return token


def find(db: Database, token: str, *, idle: timedelta, absolute: timedelta) -> Viewer | None:
    """The viewer of a live session; an expired session, or one of a disabled account, ends.
    Most requests only read: the last-seen time is written at most every SEEN_EVERY."""
    now = utcnow()
    with Session(db.engine, expire_on_commit=False) as session:
        found = session.exec(
            select(ReviewSession, Counselor)
            .join(Counselor, col(Counselor.id) == ReviewSession.counselor_id)
            .where(ReviewSession.token_hash == token_hash(token))
        ).first()
    if found is None:
        return None
    row, counselor = found
    if not counselor.active or now - row.last_seen_at > idle or now - row.created_at > absolute:
        end(db, token)
        return None
    if now - row.last_seen_at > SEEN_EVERY:
        with writing(db) as session:
            session.execute(
                update(ReviewSession)
                .where(col(ReviewSession.id) == row.id)
                .values(last_seen_at=now)
            )
    return Viewer(_account(counselor), token)


def end(db: Database, token: str) -> None:
    with writing(db) as session:
        session.execute(
            delete(ReviewSession).where(col(ReviewSession.token_hash) == token_hash(token))
        )
