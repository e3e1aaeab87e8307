"""The bot process on Telegram: four loops on one asyncio loop.

* **Receive** (long polling): fetch a batch with `getUpdates`, commit it to the inbox, and only
  then move the offset past it, so Telegram keeps (and sends again) whatever was not stored.
  On PostgreSQL only one process polls at a time (`bot.leader`). With ALONGSIDE_WEBHOOK_URL,
  a webhook endpoint instead (`bot.webhook`).
* **Turns** (`turn_workers` of them): take the next update from the inbox in its client's
  order and run its turn; the update leaves the inbox in the turn's own transaction.
* **Send**: the outbox sender (`bot.sender`), at Telegram's pace.
* **Schedule**: check-ins and timed messages, queued into the outbox as they fall due.

SIGTERM (or SIGINT): stop fetching, finish the turns waiting in the inbox and send what the
outbox holds, for up to `ALONGSIDE_SHUTDOWN_GRACE` seconds, then exit 0; what is left stays in
the database for the next start. A database that is away is logged once and retried with
back-off; no update is confirmed to Telegram until it is stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot import metrics, webhook
from bot.app import Services
from bot.health import HealthServer, create_app
from bot.leader import PollingLeader
from bot.outage import Outage
from bot.scheduler import CLAIM_BATCH, RETENTION_EVERY_SECONDS, purge_past_retention
from bot.sender import WIRE_TAIL_SECONDS, OutboxSender
from bot.serving import LoopServer
from bot.telegram import CHANNEL, after_turn, entry_for
from bot.waiting import wait_set
from storage import inbox
from storage.inbox import is_transient

if TYPE_CHECKING:
    from review.server import Beside

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
INBOX_LOOK_SECONDS = 0.5  # between looks at an empty inbox (another process may fill it)
WEBHOOK_CONNECTIONS = 40  # Telegram's default: updates it may POST at once
LEADER_LOOK_SECONDS = 3.0  # how often a process checks it polls, or tries to take over
READY_SLACK_SECONDS = 15.0  # ready while a poll answered within its timeout and this much


class WebhookUnavailable(RuntimeError):
    """The webhook's address could not be listened on."""


class BotRuntime:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        beside: Beside | None = None,
        on_handled: Callable[[int], None] | None = None,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        """`on_handled(update id)` after an update's turn (or its being ignored), and
        `on_progress()` when the sender has nothing left to do now: for tests."""
        self.application = application
        self.services: Services = application.bot_data.services
        self.bot = application.bot
        self.beside = beside
        self.on_handled = on_handled or (lambda _: None)
        self.sender = OutboxSender(self.bot, self.services, on_progress)
        self.started = asyncio.Event()
        self._stop = asyncio.Event()
        self._work = asyncio.Event()  # the inbox may hold something
        self._offset: int | None = None  # the next getUpdates confirms everything before it
        self._drain_until: float | None = None
        self.polled_at: float | None = None  # monotonic time of the last answered getUpdates
        self.webhook_set = False
        self.leader = PollingLeader(self.services.db)
        self._led_at = 0.0
        self._leader_outage = Outage(log, "taking the poller's lock")
        self._receive_outage = Outage(log, "storing received updates")
        self._turn_outage = Outage(log, "taking turns from the inbox")

    def stop(self) -> None:
        self._stop.set()

    async def run(self, *, handle_signals: bool = False) -> None:
        """Serve until `stop()` (or a signal). Raises InvalidToken if Telegram refuses it."""
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        settings = self.services.settings
        health = None
        if settings.health_port is not None:
            app = create_app(self.services.db, telegram_ok=self.telegram_ok)
            health = HealthServer(app, settings.health_host, settings.health_port)
            await health.start()  # /healthz before Telegram answers: the process is up
        try:
            async with self.application:  # getMe: a wrong token stops here
                await self._announce_commands()
                if self.beside is not None:
                    await self.beside.start()
                try:
                    await self._serve()
                finally:
                    if self.beside is not None:
                        await self.beside.stop()
        finally:
            if health is not None:
                await health.stop()

    async def _serve(self) -> None:
        settings = self.services.settings
        workers = settings.turn_workers or (1 if self.services.db.is_sqlite else 4)
        webhook_mode = settings.webhook_url is not None
        receiving = asyncio.create_task(self._serve_webhook() if webhook_mode else self._receive())
        scheduling = asyncio.create_task(self._schedule())
        turns = [asyncio.create_task(self._take_turns()) for _ in range(workers)]
        sending = asyncio.create_task(self.sender.run())
        self.started.set()
        stopped = asyncio.create_task(self._stop.wait())
        await asyncio.wait([stopped, receiving], return_when=asyncio.FIRST_COMPLETED)
        if receiving.done() and (error := receiving.exception()) is not None:
            stopped.cancel()
            await _cancel(scheduling, sending, *turns)
            raise error
        loop = asyncio.get_running_loop()
        # The grace's last second is for replies already on their way (OutboxSender.drain).
        deadline = loop.time() + max(0.0, settings.shutdown_grace - WIRE_TAIL_SECONDS)
        log.info("stopping: finishing turns and sends for up to %s s", settings.shutdown_grace)
        await _cancel(receiving, scheduling)
        await asyncio.to_thread(self.leader.release)  # another process may poll now
        self._drain_until = deadline
        self._work.set()
        await asyncio.wait(turns, timeout=max(0.0, deadline - loop.time()))
        await _cancel(*turns)
        await self.sender.drain(deadline)
        await _cancel(sending)
        await self._confirm()
        left = await asyncio.to_thread(inbox.depth, self.services.db)
        log.info("stopped; %d sent, %d updates left in the inbox", self.sender.sent, left)

    # -- receiving -------------------------------------------------------------------------------

    async def _receive(self) -> None:
        """Long polling (after taking down any webhook, which would refuse getUpdates)."""
        timeout = self.services.settings.poll_timeout
        failures = Outage(log, "fetching updates from Telegram")
        while True:
            if not await self._lead():
                await asyncio.sleep(LEADER_LOOK_SECONDS)
                continue
            try:
                if self.polled_at is None:
                    await self.bot.delete_webhook()
                updates = await self.bot.get_updates(
                    offset=self._offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES
                )
            except InvalidToken:
                raise
            except TelegramError as error:  # network, 5xx, 409 (another poller), 429
                await asyncio.sleep(failures.failed(error))
                continue
            failures.recovered()
            self.polled_at = time.monotonic()
            if updates:
                while True:  # not confirmed (the offset stays) until it is stored
                    if await self._store(updates):
                        break
                    await asyncio.sleep(self._receive_outage.delay)
                self._offset = updates[-1].update_id + 1

    async def _lead(self) -> bool:
        """Whether this process is the one that polls (bot.leader); checked every few seconds."""
        now = time.monotonic()
        if self.leader.leading and now - self._led_at < LEADER_LOOK_SECONDS:
            return True
        was = self.leader.leading
        try:
            leading = await asyncio.to_thread(self.leader.try_lead)
        except Exception as error:
            await asyncio.sleep(self._leader_outage.failed(error))
            return False
        self._leader_outage.recovered()
        self._led_at = now
        if leading != was:
            log.info("this process %s Telegram", "polls" if leading else "no longer polls")
            self._offset = None  # a new poller starts from what Telegram has not had confirmed
        return leading

    async def _serve_webhook(self) -> None:
        """Webhook mode: serve the endpoint, then point Telegram at it (until cancelled)."""
        settings = self.services.settings
        assert settings.webhook_url is not None
        secret = settings.webhook_secret_value()
        app = webhook.create_app(
            webhook.path_of(settings.webhook_url), secret, self.bot, self._store
        )
        server = LoopServer(app, settings.webhook_host, settings.webhook_port, "Telegram webhook")
        if not await server.start():
            raise WebhookUnavailable(f"{settings.webhook_host}:{settings.webhook_port}")
        failures = Outage(log, "setting the webhook")
        try:
            while True:
                try:
                    await self.bot.set_webhook(
                        settings.webhook_url,
                        secret_token=secret,
                        allowed_updates=ALLOWED_UPDATES,
                        max_connections=WEBHOOK_CONNECTIONS,
                    )
                    break
                except InvalidToken:
                    raise
                except TelegramError as error:
                    await asyncio.sleep(failures.failed(error))
            failures.recovered()
            self.webhook_set = True
            await asyncio.Event().wait()
        finally:
            await server.stop()

    async def _store(self, updates: tuple[Update, ...]) -> bool:
        """Commit the updates to the inbox; False if the database refused (logged once an
        outage). Only then may Telegram be told they arrived."""
        entries = [entry for update in updates if (entry := entry_for(update)) is not None]
        try:
            await asyncio.to_thread(inbox.store, self.services.db, entries)
        except Exception as error:  # away, locked, full, read-only
            self._receive_outage.failed(error)
            return False
        self._receive_outage.recovered()
        metrics.RECEIVED.inc(len(entries))
        self._work.set()
        stored = {entry.update_id for entry in entries}
        for update in updates:
            if update.update_id not in stored:
                self.on_handled(update.update_id)  # ignored (a group, say): nothing to do
        return True

    def telegram_ok(self) -> bool:
        """For /readyz: the webhook is set, or a poll was answered lately."""
        if self.services.settings.webhook_url is not None:
            return self.webhook_set
        if not self.leader.leading:
            return True  # another process polls; this one takes turns and sends
        within = self.services.settings.poll_timeout + READY_SLACK_SECONDS
        return self.polled_at is not None and time.monotonic() - self.polled_at <= within

    async def _confirm(self) -> None:
        """Tell Telegram what is stored, as the next poll would have (best effort)."""
        if self._offset is None or self.services.settings.webhook_url is not None:
            return
        with contextlib.suppress(TelegramError):
            await self.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    # -- turns -------------------------------------------------------------------------------

    async def _take_turns(self) -> None:
        conversation = self.services.conversation
        loop = asyncio.get_running_loop()
        while self._drain_until is None or loop.time() < self._drain_until:
            self._work.clear()
            began = time.monotonic()
            try:
                taken = await asyncio.to_thread(conversation.handle_next)
            except Exception as error:
                if is_transient(error):
                    await asyncio.sleep(self._turn_outage.failed(error))
                else:  # the inbox counts it; after a few the update is set aside
                    metrics.TURNS.labels("failed").inc()
                    log.error("a turn failed: %s", type(error).__name__, exc_info=error)
                continue
            self._turn_outage.recovered()
            if taken is None:
                if self._drain_until is not None:
                    return  # stopping, and the inbox is empty
                await wait_set(self._work, INBOX_LOOK_SECONDS)
                continue
            entry, outcome = taken
            metrics.TURN_SECONDS.observe(time.monotonic() - began)
            metrics.TURNS.labels("duplicate" if outcome.duplicate else "done").inc()
            for category in outcome.safety_events:
                metrics.SAFETY_EVENTS.labels(category).inc()
            self.sender.wake(alerts=True)
            await after_turn(self.bot, entry, outcome)
            self.on_handled(entry.update_id)

    # -- scheduled messages ----------------------------------------------------------------------

    async def _schedule(self) -> None:
        conversation, outage = self.services.conversation, Outage(log, "queueing due check-ins")
        next_purge = time.monotonic()
        while True:
            try:
                while deliveries := await asyncio.to_thread(
                    conversation.send_due, limit=CLAIM_BATCH, channel=CHANNEL
                ):
                    metrics.SCHEDULED.inc(len(deliveries))
                    metrics.CHECKINS.inc(sum(delivery.checkin for delivery in deliveries))
                    self.sender.wake()
                if time.monotonic() >= next_purge:
                    clients, audits = await asyncio.to_thread(purge_past_retention, self.services)
                    next_purge = time.monotonic() + RETENTION_EVERY_SECONDS
                    if clients or audits:
                        log.info(
                            "retention: %d clients and %d audit entries erased", clients, audits
                        )
                outage.recovered()
            except Exception as error:
                await asyncio.sleep(outage.failed(error))
                continue
            await asyncio.sleep(self.services.settings.scheduler_interval)

    async def _announce_commands(self) -> None:
        descriptions = self.services.conversation.renderer.commands()
        with contextlib.suppress(TelegramError):
            await self.bot.set_my_commands(
                [BotCommand(name, description) for name, description in descriptions.items()]
            )


async def _cancel(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
