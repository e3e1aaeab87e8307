"""One client's check-in schedule, timed messages and diary, inside a turn's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import CheckinSchedule, DiaryEntry, RulerScore, TimedMessage


@dataclass(frozen=True)
class ScheduleView:
    cadence: str
    local_minute: int
    utc_offset_minutes: int
    paused: bool
    next_due_at: datetime | None
    sent_count: int


@dataclass(frozen=True)
class DiaryView:
    day: date
    kind: str
    value: str
    words: str | None = None  # their own words: the amount, or the activity


@dataclass(frozen=True)
class ScoreView:
    ruler: str
    score: int
    at: datetime


def schedule_view(row: CheckinSchedule) -> ScheduleView:
    return ScheduleView(
        cadence=row.cadence,
        local_minute=row.local_minute,
        utc_offset_minutes=row.utc_offset_minutes,
        paused=row.paused,
        next_due_at=row.next_due_at,
        sent_count=row.sent_count,
    )


class RhythmStore:
    """Reads and writes that become visible when the turn commits."""

    def __init__(self, session: Session, client_id: int, now: datetime) -> None:
        self._session, self._id, self.now = session, client_id, now

    # -- the schedule --------------------------------------------------------------------------

    def schedule(self) -> ScheduleView | None:
        row = self._session.get(CheckinSchedule, self._id)
        return schedule_view(row) if row is not None else None

    def set_schedule(
        self, *, cadence: str, local_minute: int, utc_offset: int, next_due_at: datetime | None
    ) -> None:
        row = self._session.get(CheckinSchedule, self._id) or CheckinSchedule(
            client_id=self._id, cadence=cadence, local_minute=0, utc_offset_minutes=0
        )
        row.cadence, row.local_minute, row.utc_offset_minutes = cadence, local_minute, utc_offset
        row.next_due_at, row.paused = next_due_at, False
        self._session.add(row)

    def set_paused(self, paused: bool, next_due_at: datetime | None) -> None:
        row = self._session.get(CheckinSchedule, self._id)
        if row is not None:
            row.paused, row.next_due_at = paused, next_due_at
            self._session.add(row)

    def advance(self, next_due_at: datetime | None, *, sent: bool) -> None:
        """Move the schedule on; `sent` counts a check-in that went out now."""
        row = self._session.get(CheckinSchedule, self._id)
        if row is None:
            return
        row.next_due_at = next_due_at
        if sent:
            row.last_sent_at = self.now
            row.sent_count += 1
        self._session.add(row)

    # -- timed messages ------------------------------------------------------------------------

    def queue_timed(self, kind: str, trigger: str, due_at: datetime) -> None:
        self._session.add(
            TimedMessage(
                client_id=self._id, kind=kind, trigger=trigger, due_at=due_at, created_at=self.now
            )
        )

    def cancel_timed(self, kind: str) -> int:
        """Cancel the client's pending timed messages of this kind; how many there were."""
        result = self._session.execute(
            update(TimedMessage)
            .where(col(TimedMessage.client_id) == self._id, col(TimedMessage.kind) == kind)
            .where(col(TimedMessage.status) == "pending")
            .values(status="cancelled")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def mark_timed(self, timed_id: int, status: str) -> None:
        self._session.execute(
            update(TimedMessage).where(col(TimedMessage.id) == timed_id).values(status=status)
        )

    # -- the diary and progress ----------------------------------------------------------------

    def log_diary(self, day: date, kind: str, value: str, words: str | None = None) -> None:
        """One note a day and kind: a second one for the same day replaces the first."""
        found = self._session.exec(
            select(DiaryEntry).where(
                DiaryEntry.client_id == self._id, DiaryEntry.day == day, DiaryEntry.kind == kind
            )
        ).first()
        entry = found or DiaryEntry(client_id=self._id, day=day, kind=kind, value=value)
        entry.value, entry.words, entry.created_at = value, words, self.now
        self._session.add(entry)

    def diary(self) -> list[DiaryView]:
        self._session.flush()
        rows = self._session.exec(
            select(DiaryEntry)
            .where(DiaryEntry.client_id == self._id)
            .order_by(col(DiaryEntry.day), col(DiaryEntry.id))
        ).all()
        return [DiaryView(day=r.day, kind=r.kind, value=r.value, words=r.words) for r in rows]

    def scores(self) -> list[ScoreView]:
        self._session.flush()
        rows = self._session.exec(
            select(RulerScore)
            .where(RulerScore.client_id == self._id)
            .order_by(col(RulerScore.created_at), col(RulerScore.id))
        ).all()
        return [ScoreView(ruler=r.ruler, score=r.score, at=r.created_at) for r in rows]
