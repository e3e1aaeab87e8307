"""Clients with a check-in rhythm, set up directly in the database (fast, for many of them)."""

from __future__ import annotations

from datetime import datetime

from dialogs.engine import CONSENT_VERSION
from dialogs.rhythm import utc_offset_for
from storage import Database

NOON = 12 * 60


def add_due_clients(
    db: Database,
    ids: range | list[int] | list[str],
    *,
    due_at: datetime,
    channel: str = "test",
    local_minute_now: int = NOON,
    cadence: str = "daily",
) -> None:
    """Consented clients resting at the menu, each with a check-in due at `due_at`; their
    clocks show `local_minute_now` at `due_at` (noon: daytime, no quiet hours)."""
    offset = utc_offset_for(local_minute_now, due_at)
    for number in ids:
        with db.turn(channel, str(number), now=due_at) as turn:
            turn.set_consent("given", version=CONSENT_VERSION)
            turn.save_dialog("menu", "choose", {"question": 1, "words": {"first_step": "a walk"}})
            turn.rhythm.set_schedule(
                cadence=cadence, local_minute=NOON, utc_offset=offset, next_due_at=due_at
            )
