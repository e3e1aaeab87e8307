"""Safety alerts to the on-call counselors' Telegram chat (ALONGSIDE_ALERT_CHAT_ID): the client's
pseudonymous code, what kind of danger, and when. Never what the client wrote."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.app import Services
from dialogs.safety import CRISIS
from storage.alerts import alerted_since, mark_alert_failed, mark_alert_sent, pending_alerts
from storage.models import utcnow

log = logging.getLogger(__name__)

ALERT_TEMPLATE = "safety/alert"
ALERT_WINDOW = timedelta(hours=24)  # older events are for review, too late to alert on
QUIET_AFTER_ALERT = timedelta(minutes=30)  # one alert covers a client's repeats of a category
MAX_ALERT_ATTEMPTS = 20  # tried at every turn and every outbox retry until then
ALERTED = tuple(category.value for category in CRISIS)  # a past mention is no alarm


async def send_alerts(bot: ExtBot[None], services: Services, lock: asyncio.Lock) -> int:
    """Announce the safety events not yet announced; returns how many went out. Under `lock`,
    so two turns finishing together do not announce one event twice."""
    chat_id = services.settings.alert_chat_id
    if chat_id is None:
        return 0
    db, renderer = services.db, services.conversation.renderer
    sent = 0
    async with lock:
        alerts = await asyncio.to_thread(
            pending_alerts,
            db,
            since=utcnow() - ALERT_WINDOW,
            categories=ALERTED,
            max_attempts=MAX_ALERT_ATTEMPTS,
        )
        for alert in alerts:
            if await asyncio.to_thread(
                alerted_since,
                db,
                client_id=alert.client_id,
                category=alert.category,
                since=alert.created_at - QUIET_AFTER_ALERT,
            ):  # the on-call chat already knows; the event stays for review
                await asyncio.to_thread(mark_alert_sent, db, alert.event_id)
                continue
            text = renderer.render(
                ALERT_TEMPLATE,
                code=alert.client_code,
                category=alert.category,
                at=alert.created_at.strftime("%Y-%m-%d %H:%M"),
            ).text
            try:
                await bot.send_message(chat_id=chat_id, text=text, parse_mode=ParseMode.HTML)
            except TelegramError as error:
                log.warning(
                    "safety alert %s not sent yet: %s", alert.event_id, type(error).__name__
                )
                await asyncio.to_thread(mark_alert_failed, db, alert.event_id)
                break
            await asyncio.to_thread(mark_alert_sent, db, alert.event_id)
            log.info("safety alert %s sent (%s)", alert.event_id, alert.category)
            sent += 1
    return sent
