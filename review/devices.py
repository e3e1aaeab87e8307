"""Trusted browsers: a counselor's browser that signed in gets a long-lived cookie, and its
sign-ins are throttled on their own, apart from the account name and the address, so an
attacker's guesses cannot lock the owner out. Only a hash of the token is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from review.db import writing
from storage import Database
from storage.models import utcnow
from storage.review_models import TrustedDevice

COOKIE = "alongside_device"
KEEP_DAYS = 180
PER_ACCOUNT = 10  # the newest browsers an account keeps


def _hash(token: str) -> str:
    return hashlib.sha256(b"device:" + token.encode()).hexdigest()


def remember(db: Database, counselor_id: int) -> str:
    """A new trusted-browser token for `counselor_id`; the oldest beyond PER_ACCOUNT go."""
    token = secrets.token_urlsafe(32)
    with writing(db) as session:
        session.add(TrustedDevice(token_hash=_hash(token), counselor_id=counselor_id))
        session.flush()
        kept = (
            select(TrustedDevice.id)
            .where(TrustedDevice.counselor_id == counselor_id)
            .order_by(col(TrustedDevice.id).desc())
            .limit(PER_ACCOUNT)
        )
        session.execute(
            delete(TrustedDevice).where(
                col(TrustedDevice.counselor_id) == counselor_id,
                col(TrustedDevice.id).not_in(kept.scalar_subquery()),
            )
        )
    return token


def find(db: Database, token: str, counselor_id: int) -> int | None:
    """The id of the trusted browser holding `token`, if it belongs to `counselor_id`."""
    with Session(db.engine) as session:
        return session.exec(
            select(TrustedDevice.id).where(
                TrustedDevice.token_hash == _hash(token[:100]),
                TrustedDevice.counselor_id == counselor_id,
                col(TrustedDevice.created_at) > utcnow() - timedelta(days=KEEP_DAYS),
            )
        ).first()


def forget_all(session: Session, counselor_id: int | None) -> None:
    """A new password: no browser stays trusted."""
    session.execute(delete(TrustedDevice).where(col(TrustedDevice.counselor_id) == counselor_id))
