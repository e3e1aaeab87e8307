"""The outbox sender: sends what turns committed, at Telegram's pace, each client's replies in
order, apart from the turns (a turn never waits for a send).

Each round asks the database for the oldest pending reply of every client who has no send in
flight here and is not waiting to retry, and starts one send per client; a finished send wakes
the next round, which finds that client's next reply. `SendPacer` keeps this process within
`ALONGSIDE_SEND_PER_SECOND` overall and one message per `ALONGSIDE_CHAT_SEND_INTERVAL` to a
chat; on PostgreSQL every send also takes a place in the pace shared by all processes
(`storage.outbox.reserve_send`). A send holds its row there (`storage.outbox.claim`), so
several processes never send one reply twice, and a chat any process sent to less than that
interval ago is not offered.
Safety alerts go out from here too, within a second of the turn that raised them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot import metrics
from bot.alerts import send_alerts
from bot.app import Services
from bot.outage import Outage
from bot.scheduler import SendPacer
from bot.telegram import CHANNEL, MAX_SEND_ATTEMPTS, send_item
from bot.waiting import wait_set
from storage import OutboxItem
from storage.outbox import SendClaim, claim, reserve_send, sendable

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64  # clients with a send under way here (most of them waiting for the pacer)
SENDS_AT_ONCE = 8  # requests to Telegram at once; on PostgreSQL each holds its row (a connection)
RETRY_SECONDS = 5.0  # after Telegram refused or did not answer a send
WIRE_TAIL_SECONDS = 1.0  # a stop waits this long past its deadline for requests already sent
IDLE_LOOK_SECONDS = 0.5  # between looks when nothing woke the sender (other processes' turns)
ALERT_LOOK_SECONDS = 30.0  # between looks for unsent safety alerts when no turn asked
ALERT_BUSY_GAP_SECONDS = 1.0  # between looks for alerts while replies are still going out


class OutboxSender:
    def __init__(
        self,
        bot: ExtBot[None],
        services: Services,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.bot, self.services, self.db = bot, services, services.db
        settings = services.settings
        self.pacer = SendPacer(settings.send_per_second, settings.chat_send_interval)
        self.on_progress = on_progress or (lambda: None)
        self.settled = False  # the last look found nothing to send now, and nothing is in flight
        self.sent = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while settled
        self._wakes = 0
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # client id -> its send
        self._retry_at: dict[int, float] = {}  # client id -> when to try them again
        self._alerts_due = True
        self._alerts_looked = 0.0
        self._alert_lock = asyncio.Lock()
        self._sending = asyncio.Semaphore(SENDS_AT_ONCE)
        self._outage = Outage(log, "using the outbox")
        self._on_the_wire: set[int] = set()  # clients whose reply may be reaching Telegram
        self._stopping = False  # past the stop's deadline: no new sends

    def wake(self, *, alerts: bool = False) -> None:
        """Something may be new in the outbox (a turn committed, a send finished)."""
        self._wakes += 1
        self.settled = False
        self._idle.clear()
        self._alerts_due = self._alerts_due or alerts
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            wakes = self._wakes
            found = await self._start_sends()
            idle = not found and not self._in_flight and wakes == self._wakes
            await self._send_alerts(now=idle)
            if idle and wakes == self._wakes:
                self.settled = True
                self._idle.set()
                self.on_progress()
            await wait_set(self._wake, self._idle_wait())

    async def drain(self, deadline: float) -> None:
        """Until nothing is left to send (but replies Telegram keeps refusing), or `deadline`
        (loop time): for a clean stop. Sends not yet on their way are then cancelled; those
        already requested get WIRE_TAIL_SECONDS more to finish and be marked sent, since cut
        off there a reply reaches the client unrecorded and goes again after the restart."""
        loop = asyncio.get_running_loop()
        self.wake(alerts=True)
        while True:
            await wait_set(self._idle, deadline - loop.time())
            if loop.time() >= deadline or not await self._left_to_send():
                break
            await asyncio.sleep(min(0.1, max(0.0, deadline - loop.time())))  # paced: soon
        self._stopping = True
        for client_id, task in list(self._in_flight.items()):
            if client_id not in self._on_the_wire:
                task.cancel()
        if finishing := set(self._in_flight.values()):
            _, cut_off = await asyncio.wait(finishing, timeout=WIRE_TAIL_SECONDS)
            for task in cut_off:
                task.cancel()

    async def _left_to_send(self) -> bool:
        skip = set(self._retry_at)
        try:
            return bool(
                await asyncio.to_thread(sendable, self.db, channel=CHANNEL, limit=1, skip=skip)
            )
        except Exception:  # the database is away: nothing more can be sent now
            return False

    async def _start_sends(self) -> bool:
        now = time.monotonic()
        self._retry_at = {c: at for c, at in self._retry_at.items() if at > now}
        room = MAX_IN_FLIGHT - len(self._in_flight)
        if room <= 0 or self._stopping:
            return True
        skip = set(self._in_flight) | set(self._retry_at)
        try:
            items = await asyncio.to_thread(
                sendable,
                self.db,
                channel=CHANNEL,
                limit=room,
                skip=skip,
                chat_interval=self.services.settings.chat_send_interval,
            )
        except Exception as error:
            await asyncio.sleep(self._outage.failed(error))
            return True
        self._outage.recovered()
        for item in items:
            self._in_flight[item.client_id] = asyncio.create_task(self._deliver(item))
        return bool(items)

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            await self.pacer.wait(int(item.external_id))
            async with self._sending:
                await self._send(item)
        except Exception as error:  # the database is away: the reply stays pending
            self._retry_at[item.client_id] = time.monotonic() + self._outage.failed(error)
        finally:
            self._in_flight.pop(item.client_id, None)
            self.wake()

    async def _shared_pace(self) -> None:
        """Until this send has a place within Telegram's pace for all processes together."""
        per_second = self.services.settings.send_per_second
        while True:  # the database keeps the count: nothing here to wait on but the clock
            wait = await asyncio.to_thread(reserve_send, self.db, per_second)
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def _send(self, item: OutboxItem) -> None:
        claiming = asyncio.get_running_loop().run_in_executor(None, claim, self.db, item.id)
        try:
            held = await asyncio.shield(claiming)
        except asyncio.CancelledError:  # stopping: let go of the row once it is held
            claiming.add_done_callback(_release)
            raise
        if held is None:  # sent meanwhile, or another process is sending it
            return
        if not self.db.is_sqlite:  # other processes may be sending too: their pace is ours
            try:
                await self._shared_pace()  # last, so the request follows its place closely
            except BaseException:
                held.release()
                raise
        self._on_the_wire.add(item.client_id)  # a stop lets this run to its end (drain)
        try:
            await self._send_held(item, held)
        finally:
            self._on_the_wire.discard(item.client_id)

    async def _send_held(self, item: OutboxItem, held: SendClaim) -> None:
        try:
            await send_item(self.bot, item)
        except Forbidden:
            held.release()
            metrics.SEND_ERRORS.labels("blocked").inc()
            log.info("client %s blocked the bot: marked unreachable", item.client_id)
            await asyncio.to_thread(self.db.mark_unreachable, item.client_id)
            return
        except TelegramError as error:  # refused or not reached: again later, in order
            held.release()
            kind = "too_many_requests" if isinstance(error, RetryAfter) else type(error).__name__
            metrics.SEND_ERRORS.labels(kind).inc()
            log.warning("reply %s not delivered yet: %s", item.id, type(error).__name__)
            await asyncio.to_thread(self.db.mark_failed_attempt, item.id, MAX_SEND_ATTEMPTS)
            self._retry_at[item.client_id] = time.monotonic() + RETRY_SECONDS
            return
        except BaseException:
            held.release()
            raise
        await asyncio.to_thread(held.sent)
        metrics.SENDS.inc()
        self.sent += 1

    async def _send_alerts(self, *, now: bool) -> None:
        """Safety alerts, after turns: at once when the sender is idle, else at most once a
        second (so a busy outbox never holds them back), and every ALERT_LOOK_SECONDS anyway."""
        since = time.monotonic() - self._alerts_looked
        due = self._alerts_due and (now or since >= ALERT_BUSY_GAP_SECONDS)
        if not due and since < ALERT_LOOK_SECONDS:
            return
        self._alerts_due, self._alerts_looked = False, time.monotonic()
        try:
            await send_alerts(self.bot, self.services, self._alert_lock)
        except Exception as error:
            log.warning("safety alerts not sent yet: %s", type(error).__name__)

    def _idle_wait(self) -> float:
        if not self._retry_at:
            return IDLE_LOOK_SECONDS
        soonest = min(self._retry_at.values()) - time.monotonic()
        return max(0.01, min(IDLE_LOOK_SECONDS, soonest))


def _release(claiming: asyncio.Future[SendClaim | None]) -> None:
    if not claiming.cancelled() and claiming.exception() is None and (held := claiming.result()):
        held.release()
