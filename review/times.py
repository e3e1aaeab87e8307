"""Times as the dashboard shows them: in the service's time zone, with UTC on hover."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

FORMAT = "%Y-%m-%d %H:%M"


def local(at: datetime | None, zone: ZoneInfo) -> str:
    """ "2026-12-01 14:05 CET": the service's own time, its zone's abbreviation after it."""
    if at is None:
        return "—"
    here = at.astimezone(zone)
    return f"{here:{FORMAT}} {here.tzname() or zone.key}"


def utc(at: datetime | None) -> str:
    return f"{at.astimezone(UTC):{FORMAT}} UTC" if at else "—"


def element(at: datetime | None, zone: ZoneInfo) -> Markup:
    """A <time> element: the local time shown, the instant in its attribute, UTC on hover."""
    if at is None:
        return Markup("—")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        escape(at.astimezone(UTC).isoformat()), escape(utc(at)), escape(local(at, zone))
    )
