"""Telegram's pace (`SendPacer`, used by the outbox sender) and `send_due_once`, which claims
what has fallen due (check-ins, urge-surfing steps; claimed in the database, so several bot
processes never send the same one: see storage/scheduling.py) and delivers it at once: the
check-in bench's and the limit tests' path. In the running bot the runtime's scheduler loop
only queues, and `bot.sender` delivers.

Limits: PTB's AIORateLimiter on the Application keeps all calls within the overall rate and
retries a 429 after its `retry_after`; the `SendPacer` keeps sends to at most 28 in any second
overall and one a second per chat. A 403 marks the client unreachable, and unreachable clients
are never claimed again."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from telegram.ext import ExtBot

from bot.app import Services
from bot.telegram import CHANNEL, deliver_pending
from storage.models import utcnow
from storage.retention import purge_expired

MAX_SENDS_PER_SECOND = 28  # Telegram: about 30 messages a second per bot token; a margin for
# network jitter, which can bring sends closer together on arrival than they left
CHAT_INTERVAL_SECONDS = 1.1  # Telegram: about one message a second per chat (with a margin)
CLAIM_BATCH = 100  # clients claimed in one transaction
MAX_BATCHES_PER_ROUND = 100  # then the next round, after the interval
RETENTION_EVERY_SECONDS = 3600.0  # how often clients past the retention period are erased


class SendPacer:
    """Waits before a send until it keeps within `per_second` sends in any one-second window
    and one send per `chat_interval` seconds to the same chat."""

    def __init__(
        self,
        per_second: int = MAX_SENDS_PER_SECOND,
        chat_interval: float = CHAT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second, self.chat_interval = per_second, chat_interval
        self.clock, self.sleep = clock, sleep
        self._recent: deque[float] = deque()  # send times within the last second
        self._last_by_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat_id: int) -> None:
        # A chat's own interval is waited out before the queue, so it holds back no other chat
        # (each chat has one send at a time: `bot.sender`).
        while (delay := self._chat_delay(chat_id)) > 0:
            await self.sleep(delay)
        async with self._lock:
            while (delay := self._delay(chat_id)) > 0:
                await self.sleep(delay)
            now = self.clock()
            self._recent.append(now)
            self._last_by_chat[chat_id] = now
            if len(self._last_by_chat) > 10 * self.per_second:  # forget chats long quiet
                horizon = now - self.chat_interval
                self._last_by_chat = {c: t for c, t in self._last_by_chat.items() if t > horizon}

    def _delay(self, chat_id: int) -> float:
        now = self.clock()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        overall = self._recent[0] + 1.0 - now if len(self._recent) >= self.per_second else 0.0
        return max(overall, self._chat_delay(chat_id))

    def _chat_delay(self, chat_id: int) -> float:
        last = self._last_by_chat.get(chat_id)
        return last + self.chat_interval - self.clock() if last is not None else 0.0


async def send_due_once(bot: ExtBot[None], services: Services, pacer: SendPacer) -> int:
    """One round: claim and queue what is due, batch by batch, and deliver it; how many
    messages were sent."""
    conversation, sent = services.conversation, 0
    for _ in range(MAX_BATCHES_PER_ROUND):
        deliveries = await asyncio.to_thread(
            conversation.send_due, limit=CLAIM_BATCH, channel=CHANNEL
        )
        for delivery in deliveries:
            async with conversation.locks.hold((CHANNEL, delivery.external_id)):
                sent += await deliver_pending(bot, services, delivery.client_id, pace=pacer.wait)
        if not deliveries:
            break
    return sent


def purge_past_retention(services: Services) -> tuple[int, int]:
    """Erase the clients silent for longer than ALONGSIDE_RETENTION_DAYS and the audit entries
    older than ALONGSIDE_AUDIT_RETENTION_DAYS, in batches: (clients, audit entries)."""
    settings = services.settings
    return purge_expired(
        services.db,
        now=utcnow(),
        days=settings.retention_days,
        audit_days=settings.audit_retention_days,
    )
