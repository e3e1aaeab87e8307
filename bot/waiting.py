"""Waiting for an event with a timeout, in a way a stop can always cancel.

On Python 3.11, `asyncio.wait_for` swallows a cancel that arrives in the same loop pass as the
awaited thing finishing (fixed in 3.12): a loop that waits on a wake-up event with it can miss
its stop and run on, and the process never exits. `asyncio.timeout` keeps the cancel."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Until `event` is set or `seconds` have passed; whether it is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, seconds)):
            await event.wait()
    return event.is_set()
