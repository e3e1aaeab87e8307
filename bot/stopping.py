"""A stop asked for while the bot is still starting (migrating, learning its classifiers):
kept until the runtime's loop takes the signals over, then honoured as a clean stop."""

from __future__ import annotations

import signal
import threading

EARLY_STOP = threading.Event()  # a SIGTERM or SIGINT before the asyncio loop took signals over


def catch_early_signals() -> None:
    """From the start of `alongside run` on Telegram: a SIGTERM seconds after a start (a quick
    redeploy) is kept for the runtime, which then stops cleanly and exits 0, instead of the
    default action killing the process mid-start."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: EARLY_STOP.set())
