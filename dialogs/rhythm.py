"""Time for check-ins: the clock, the client's local time, quiet hours and the next slot.

Pure functions on aware UTC datetimes; the client's zone is kept as a UTC offset in minutes,
worked out from the local time they tell us (rounded to 15 minutes), never a zone name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]

DAY_MINUTES = 24 * 60
OFFSET_STEP = 15  # UTC offsets are whole quarter hours
MIN_OFFSET, MAX_OFFSET = -12 * 60, 14 * 60
QUIET_START, QUIET_END = 22 * 60, 8 * 60  # local minutes: no reminders from 22:00 to 08:00
CADENCE_DAYS = {"daily": 1, "few_days": 3, "weekly": 7}
NO_CHECKINS = "none"
TIMES_OF_DAY = {"morning": 9 * 60, "midday": 12 * 60 + 30, "afternoon": 16 * 60, "evening": 19 * 60}

_TIME = re.compile(
    r"^\s*(?:it'?s\s+)?(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?)?\s*$",
    re.IGNORECASE,
)


_DURATION = re.compile(r"^\+?(\d{1,4})\s*(m|h|d)$")
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ShiftedClock:
    """Real time moved by `shift`: the terminal's `/clock +1d`, and tests."""

    shift: timedelta = field(default_factory=timedelta)
    base: Clock = system_clock

    def __call__(self) -> datetime:
        return self.base() + self.shift

    def advance(self, delta: timedelta) -> None:
        self.shift += delta


def parse_duration(text: str) -> timedelta:
    """'+10m', '3h', '+1d' as a timedelta (the terminal's /clock and scripts' `wait:`)."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"not a duration: {text[:20]!r} (try +30m, +3h or +1d)")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})


def parse_local_time(text: str) -> int | None:
    """'14:30', '2.30 pm', '9am', "it's 7" as minutes after midnight; None if it is not a time."""
    match = _TIME.match(text[:40])
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower().replace(".", "")
    if minute > 59 or hour > 23 or (meridiem and not 1 <= hour <= 12):
        return None
    if meridiem == "pm" and hour != 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    return hour * 60 + minute


def utc_offset_for(local_minute: int, now: datetime) -> int:
    """The UTC offset (minutes, a multiple of 15) of someone whose clock shows `local_minute`
    at `now`."""
    utc_minute = now.astimezone(UTC).hour * 60 + now.astimezone(UTC).minute
    offset = (local_minute - utc_minute) % DAY_MINUTES
    if offset > MAX_OFFSET:
        offset -= DAY_MINUTES
    offset = OFFSET_STEP * round(offset / OFFSET_STEP)
    return max(MIN_OFFSET, min(MAX_OFFSET, offset))


def local(now: datetime, offset: int) -> datetime:
    """`now` as a naive wall-clock time at the client's offset."""
    return (now.astimezone(UTC) + timedelta(minutes=offset)).replace(tzinfo=None)


def local_day(now: datetime, offset: int) -> date:
    return local(now, offset).date()


def is_quiet(now: datetime, offset: int) -> bool:
    """Night in the client's local time: no reminder goes out."""
    wall = local(now, offset)
    minute = wall.hour * 60 + wall.minute
    return minute >= QUIET_START or minute < QUIET_END


def daytime(local_minute: int) -> int:
    """A chosen time of day moved out of the night, to the morning."""
    quiet = local_minute >= QUIET_START or local_minute < QUIET_END
    return QUIET_END if quiet else local_minute


def _at(day: date, local_minute: int, offset: int) -> datetime:
    wall = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=local_minute)
    return wall - timedelta(minutes=offset)


def first_due(now: datetime, cadence: str, local_minute: int, offset: int) -> datetime | None:
    """The first check-in: at the chosen local time, once the cadence has had time to pass
    (tomorrow or later for daily, in about three days, in about a week)."""
    days = CADENCE_DAYS.get(cadence)
    if days is None:
        return None
    minute = daytime(local_minute)
    day = local_day(now, offset) + timedelta(days=days)
    slot = _at(day, minute, offset)
    # Daily: the same day's slot if it is still ahead and at least a few hours away.
    same_day = _at(local_day(now, offset), minute, offset)
    if days == 1 and same_day - now >= timedelta(hours=6):
        slot = same_day
    return slot


def following_due(now: datetime, cadence: str, local_minute: int, offset: int) -> datetime | None:
    """The next check-in after one sent (or skipped) at `now`: the chosen time of day, a
    cadence's worth of local days later. However long the bot was down, that is one slot in the
    future, so missed check-ins collapse into the one being sent now."""
    days = CADENCE_DAYS.get(cadence)
    if days is None:
        return None
    slot = _at(local_day(now, offset) + timedelta(days=days), daytime(local_minute), offset)
    while slot <= now:
        slot += timedelta(days=1)
    return slot


def morning_after(now: datetime, offset: int) -> datetime:
    """The end of the client's current (or coming) night: where a reminder due at night goes."""
    wall = local(now, offset)
    day = wall.date() if wall.hour * 60 + wall.minute < QUIET_END else wall.date() + timedelta(1)
    return _at(day, QUIET_END, offset)


def resumed_due(now: datetime, cadence: str, local_minute: int, offset: int) -> datetime | None:
    """After /resume: the next slot at the client's time of day, from tomorrow at the earliest
    for a daily rhythm."""
    days = CADENCE_DAYS.get(cadence)
    if days is None:
        return None
    slot = _at(local_day(now, offset), daytime(local_minute), offset)
    while slot <= now:
        slot += timedelta(days=1)
    return slot
