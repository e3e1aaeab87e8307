"""The Telegram adapter: thin handlers that turn updates into `Inbound` events, hand them to
the engine, and deliver the replies it committed to the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatAction, MessageLimit, ParseMode
from telegram.error import Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.alerts import send_alerts
from bot.app import Services
from dialogs import Conversation, Inbound, InboundKind, TurnOutcome
from storage import OutboxItem

if TYPE_CHECKING:
    from review.server import Beside

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_SEND_ATTEMPTS = 5  # a reply that fails this often for other reasons than a block is dropped
OUTBOX_RETRY_SECONDS = 30.0
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
    """What handlers reach through the context (instead of globals)."""

    services: Services
    outbox_task: asyncio.Task[None] | None = None
    scheduler_task: asyncio.Task[None] | None = None
    beside: Beside | None = None  # the review dashboard, on this loop

    def __init__(self) -> None:
        self.alert_lock = asyncio.Lock()


class AlongsideContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def conversation(self) -> Conversation:
        return self.bot_data.services.conversation


def build_application(services: Services) -> Application[Any, Any, Any, Any, Any, Any]:
    settings = services.settings
    assert settings.telegram_bot_token is not None
    base = settings.telegram_api_base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .context_types(ContextTypes(context=AlongsideContext, bot_data=BotData))
        .concurrent_updates(True)  # clients don't wait on each other; a per-client lock orders each
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_on_start)
        .post_shutdown(_on_stop)
        .build()
    )
    application.bot_data.services = services
    # Private chats only: these conversations are not for groups, where others would read them.
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.COMMAND, on_command))
    application.add_handler(MessageHandler(private & filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private, on_media))
    application.add_error_handler(on_error)
    return application


def run_polling(services: Services, *, beside: Beside | None = None) -> bool:
    """Poll until stopped; False if Telegram refused the token. `beside` (the review dashboard)
    starts and stops with the bot, on the same asyncio loop."""
    application = build_application(services)
    application.bot_data.beside = beside
    log.info("starting Telegram long polling")
    try:
        application.run_polling(
            allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY],
            timeout=services.settings.poll_timeout,
        )
    except InvalidToken:
        log.error("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather")
        return False
    return True


# -- handlers ----------------------------------------------------------------------------------


async def on_command(update: Update, context: AlongsideContext) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    name = message.text[1:].split(maxsplit=1)[0].split("@")[0].lower()
    await _turn(update, context, InboundKind.COMMAND, text=name)


async def on_text(update: Update, context: AlongsideContext) -> None:
    message = update.effective_message
    assert message is not None
    await _turn(update, context, InboundKind.TEXT, text=message.text or "")


async def on_media(update: Update, context: AlongsideContext) -> None:
    message = update.effective_message
    assert message is not None
    await _turn(update, context, InboundKind.MEDIA, text=media_kind(message))


async def on_button(update: Update, context: AlongsideContext) -> None:
    query = update.callback_query
    assert query is not None
    outcome = await _turn(update, context, InboundKind.CHOICE, choice=query.data or "")
    with contextlib.suppress(TelegramError):
        await query.answer(text=outcome.notice if outcome else None)
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        # The question is answered (or stale): its buttons go, so they can't be tapped twice.
        with contextlib.suppress(TelegramError):
            await query.message.edit_reply_markup(reply_markup=None)


async def on_error(update: object, context: AlongsideContext) -> None:
    # The exception type and where, never the update: it holds what the client wrote.
    error = context.error
    log.error("error while handling an update: %s", type(error).__name__, exc_info=error)


def media_kind(message: Message) -> str:
    return next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), "other")


async def _turn(
    update: Update,
    context: AlongsideContext,
    kind: InboundKind,
    *,
    text: str = "",
    choice: str | None = None,
) -> TurnOutcome | None:
    chat, user, message = update.effective_chat, update.effective_user, update.message
    if chat is None or chat.type != chat.PRIVATE:
        return None
    inbound = Inbound(
        channel=CHANNEL,
        external_id=str(chat.id),
        kind=kind,
        text=text,
        choice=choice,
        update_id=update.update_id,
        locale=user.language_code if user else None,
        at=message.date if message is not None else datetime.now(UTC),  # when they wrote it
    )

    async def deliver(outcome: TurnOutcome) -> None:
        if outcome.replies:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
        await deliver_pending(context.bot, context.services, outcome.client_id)
        await send_alerts(context.bot, context.services, context.bot_data.alert_lock)

    return await context.conversation.take_turn(inbound, deliver)


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
    """Send the client's undelivered replies, in order; returns how many were sent. Call it
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


async def retry_pending(bot: ExtBot[None], services: Services) -> None:
    """Deliver what earlier turns left in the outbox, each Telegram client under their turn
    lock, so a reply that a turn is sending right now is not sent a second time from here."""
    items = await asyncio.to_thread(services.db.pending_outbox, channel=CHANNEL)
    for client_id, external_id in dict.fromkeys((i.client_id, i.external_id) for i in items):
        async with services.conversation.locks.hold((CHANNEL, external_id)):
            await deliver_pending(bot, services, client_id)


async def _retry_outbox_forever(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: Services = application.bot_data.services
    while True:
        try:
            await retry_pending(application.bot, services)
            await send_alerts(application.bot, services, application.bot_data.alert_lock)
        except Exception:  # the loop must outlive a database hiccup
            log.exception("retrying the outbox failed")
        await asyncio.sleep(OUTBOX_RETRY_SECONDS)


async def _on_start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: Services = application.bot_data.services
    descriptions = services.conversation.renderer.commands()
    await application.bot.set_my_commands(
        [BotCommand(name, description) for name, description in descriptions.items()]
    )
    # Replies committed before a crash or restart, and not yet sent, go out now and later.
    application.bot_data.outbox_task = asyncio.create_task(_retry_outbox_forever(application))
    # Check-ins and urge-surfing steps, as they fall due.
    from bot.scheduler import run_scheduler  # late: the scheduler delivers through this module

    application.bot_data.scheduler_task = asyncio.create_task(
        run_scheduler(application.bot, services)
    )
    if application.bot_data.beside is not None:
        await application.bot_data.beside.start()


async def _on_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if application.bot_data.beside is not None:
        await application.bot_data.beside.stop()
    for task in (application.bot_data.outbox_task, application.bot_data.scheduler_task):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
