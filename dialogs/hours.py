"""The hours when people on the team read and answer (ALONGSIDE_SERVICE_HOURS), in the service's
time zone: whether they are in now, and when they next are, for an honest answer to someone who
asks for a person out of hours.

The setting is a comma-separated list of "<days> <from>-<to>": "Mon-Fri 09:00-17:00",
"Mon-Fri 09:00-17:00, Sat 10:00-14:00", "Mon,Wed 18:00-22:00"; "always" for every hour."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "always"
_SPAN = re.compile(r"^([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Opening:
    day: int  # 0 is Monday
    start: time
    end: time


@dataclass(frozen=True)
class ServiceHours:
    openings: tuple[Opening, ...]
    zone: ZoneInfo
    text: str  # as configured, for the bot to repeat
    always: bool = False

    @classmethod
    def parse(cls, setting: str, zone: str = "UTC") -> ServiceHours:
        """The setting read, or ValueError saying what is wrong with it."""
        words = " ".join(setting.split())
        if words.lower() == ALWAYS:
            return cls((), ZoneInfo(zone), words, always=True)
        openings: list[Opening] = []
        for part in filter(None, (p.strip() for p in re.split(r"(?<=\d)\s*,\s*", words))):
            found = _SPAN.match(part.lower())
            if not found:
                raise ValueError(
                    f"service hours: cannot read {part!r} (e.g. 'Mon-Fri 09:00-17:00')"
                )
            days, h1, m1, h2, m2 = found.groups()
            start, end = time(int(h1), int(m1)), _end_time(int(h2), int(m2))
            if end <= start:
                raise ValueError(f"service hours: {part!r} ends before it starts")
            openings += [Opening(day, start, end) for day in _days(days)]
        if not openings:
            raise ValueError("service hours: none given (e.g. 'Mon-Fri 09:00-17:00' or 'always')")
        return cls(tuple(openings), ZoneInfo(zone), words)

    def is_open(self, at: datetime) -> bool:
        if self.always:
            return True
        here = at.astimezone(self.zone)
        return any(
            o.day == here.weekday() and o.start <= here.time() < o.end for o in self.openings
        )

    def next_open(self, at: datetime) -> datetime | None:
        """When the team is next in (now, if it is); None if always."""
        if self.always or self.is_open(at):
            return None if self.always else at
        here = at.astimezone(self.zone)
        starts = [
            datetime.combine(here.date() + timedelta(days=ahead), o.start, self.zone)
            for ahead in range(8)
            for o in self.openings
            if o.day == (here.weekday() + ahead) % 7
        ]
        return min(s for s in starts if s > here)

    def describe_next(self, at: datetime) -> str:
        """ "today at 09:00", "tomorrow at 09:00", "on Monday at 09:00": in the service's zone."""
        opens = self.next_open(at)
        if opens is None:
            return "soon"
        here = at.astimezone(self.zone)
        ahead = (opens.date() - here.date()).days
        day = "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"on {opens:%A}"
        return f"{day} at {opens:%H:%M}"


def _end_time(hour: int, minute: int) -> time:
    return time.max if (hour, minute) == (24, 0) else time(hour, minute)


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for item in spec.split(","):
        first, _, last = item.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            raise ValueError(f"service hours: {item!r} is not a day or a range of days")
        a, b = DAYS.index(first[:3]), DAYS.index((last or first)[:3])
        days += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    return days


DEFAULT_HOURS = "Mon-Fri 09:00-17:00"
