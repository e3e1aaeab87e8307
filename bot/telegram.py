"""The Telegram adapter: updates into inbox entries, outbox items into Telegram messages. The
loops that receive, take turns and send are in `bot.runtime`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import Forbidden, InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot

from bot.app import Services
from bot.ratelimit import CountingRateLimiter
from dialogs import InboundKind, TurnOutcome
from storage import OutboxItem
from storage.inbox import InboxEntry

if TYPE_CHECKING:
    from review.server import Beside

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_SEND_ATTEMPTS = 5  # a reply that fails this often for other reasons than a block is dropped
SCALE_ROW = 6  # ruler buttons 0-5 on the first row, 6-10 on the second
MEDIA_KINDS = (
    "sticker",
    "photo",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "story",
)


class BotData:
    """What the application carries for the adapter (instead of globals)."""

    services: Services


def build_application(services: Services) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application: its bot (with the rate limiter that retries a 429), no updater:
    `bot.runtime` fetches updates itself, so it confirms them only once they are stored."""
    settings = services.settings
    assert settings.telegram_bot_token is not None
    base = settings.telegram_api_base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .context_types(ContextTypes(bot_data=BotData))
        .rate_limiter(CountingRateLimiter(overall_max_rate=settings.send_per_second, max_retries=3))
        .updater(None)
        .build()
    )
    application.bot_data.services = services
    return application


def run_bot(services: Services, *, beside: Beside | None = None) -> bool:
    """Serve Telegram (long polling, or webhooks with ALONGSIDE_WEBHOOK_URL) until SIGTERM or
    SIGINT; False if it cannot start. `beside` (the review dashboard) starts and stops with
    the bot, on the same asyncio loop."""
    from bot.runtime import BotRuntime, WebhookUnavailable  # the runtime builds on this module

    runtime = BotRuntime(build_application(services), beside=beside)
    mode = "webhooks" if services.settings.webhook_url else "long polling"
    log.info("starting Telegram %s", mode)
    try:
        asyncio.run(runtime.run(handle_signals=True))
    except InvalidToken:
        log.error("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather")
        return False
    except WebhookUnavailable as error:
        log.error("the webhook cannot listen on %s: is the address free?", error)
        return False
    return True


# -- updates into the inbox ----------------------------------------------------------------------


def entry_for(update: Update) -> InboxEntry | None:
    """What the inbox keeps of an update: a private chat's message or button tap. Anything
    else (groups, channels, edits) is None: confirmed to Telegram and otherwise ignored."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != chat.PRIVATE:
        return None
    locale = user.language_code if user else None
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "external_id": str(chat.id),
        "update_id": update.update_id,
        "locale": locale,
    }
    if (query := update.callback_query) is not None:
        extra: dict[str, Any] = {"query": query.id}
        if isinstance(query.message, Message) and query.message.reply_markup is not None:
            extra["buttons_on"] = query.message.message_id  # to take them away once answered
        return InboxEntry(**common, kind=InboundKind.CHOICE, choice=query.data or "", extra=extra)
    message = update.message
    if message is None:
        return None
    common["written_at"] = message.date  # when they wrote it
    entity = message.entities[0] if message.entities else None
    if message.text and entity is not None and entity.type == "bot_command" and not entity.offset:
        name = message.text[1:].split(maxsplit=1)[0].split("@")[0].lower()
        return InboxEntry(**common, kind=InboundKind.COMMAND, text=name)
    if message.text is not None:
        return InboxEntry(**common, kind=InboundKind.TEXT, text=message.text)
    return InboxEntry(**common, kind=InboundKind.MEDIA, text=media_kind(message))


async def after_turn(bot: ExtBot[None], entry: InboxEntry, outcome: TurnOutcome) -> None:
    """A tapped button: answer the query (with a notice for a stale one) and take the buttons
    off the question, so it can't be tapped twice. Best effort: the turn is committed."""
    if entry.kind != InboundKind.CHOICE:
        return
    with contextlib.suppress(TelegramError):
        await bot.answer_callback_query(str(entry.extra.get("query")), text=outcome.notice)
    if "buttons_on" in entry.extra:
        with contextlib.suppress(TelegramError):
            await bot.edit_message_reply_markup(
                chat_id=int(entry.external_id), message_id=int(entry.extra["buttons_on"])
            )


def media_kind(message: Message) -> str:
    return next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), "other")


# -- delivery ----------------------------------------------------------------------------------


def keyboard(item: OutboxItem) -> InlineKeyboardMarkup | None:
    if not item.choices:
        return None
    buttons = [InlineKeyboardButton(label, callback_data=data) for data, label in item.choices]
    if all(label.isdigit() for _, label in item.choices):
        rows = [buttons[:SCALE_ROW], buttons[SCALE_ROW:]]
    else:
        rows = [[button] for button in buttons]
    return InlineKeyboardMarkup(rows)


async def send_item(bot: ExtBot[None], item: OutboxItem) -> None:
    """One outbox item as one Telegram message: text, or a photo or document with the text as
    its caption (our captions are short; a longer text goes first as its own message)."""
    chat_id = int(item.external_id)
    if item.attachment is None:
        await bot.send_message(
            chat_id=chat_id, text=item.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(item)
        )
        return
    kind, filename, content = item.attachment
    caption: str | None = item.text
    if len(item.text) > MessageLimit.CAPTION_LENGTH:
        await bot.send_message(chat_id=chat_id, text=item.text, parse_mode=ParseMode.HTML)
        caption = None
    send = bot.send_photo if kind == "photo" else bot.send_document
    await send(
        chat_id,
        InputFile(content, filename=filename),
        caption=caption,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(item),
    )


async def deliver_pending(
    bot: ExtBot[None],
    services: Services,
    client_id: int,
    pace: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Send the client's undelivered replies, in order, here and now; returns how many were
    sent. The running bot sends through `bot.sender` instead; this direct path is
    `send_due_once`'s (the check-in bench, the tests of Telegram's limits). Call it
    holding the client's lock, so no reply goes out twice. `pace(chat id)` is awaited before
    each send (the scheduler's rate limits)."""
    db = services.db
    sent = 0
    items = await asyncio.to_thread(db.pending_outbox, client_id=client_id)
    for item in items:
        try:
            if pace is not None:
                await pace(int(item.external_id))
            await send_item(bot, item)
        except Forbidden:
            log.info("client %s blocked the bot: marked unreachable", item.client_id)
            await asyncio.to_thread(db.mark_unreachable, item.client_id)
            break
        except TelegramError as error:  # refused or not reached: try again later, in order
            log.warning("reply %s not delivered yet: %s", item.id, type(error).__name__)
            await asyncio.to_thread(db.mark_failed_attempt, item.id, MAX_SEND_ATTEMPTS)
            break
        await asyncio.to_thread(db.mark_sent, item.id)
        sent += 1
    return sent
