"""A fake Telegram Bot API server for end-to-end tests: the real `Application` talks HTTP to it.

Push updates in (`push_text`, `push_callback`, ...), then await what the client would see
(`wait_for_messages`). Everything the bot calls is recorded per chat, in order.

PTB 22 posts its parameters as a form, each value JSON-encoded except plain strings; the double
also takes a JSON body. It implements only the methods the adapter uses; files
arrive as (file name, content)."""

# ruff: noqa: ASYNC109 (the waits take a plain `timeout`, which reads best in a test)

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.web_request import FileField

JSON_FIELDS = ("reply_markup", "commands", "allowed_updates")  # the rest: strings and numbers
BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Alongside", "username": "alongside_bot"}


@dataclass
class Sent:
    """A message the bot sent, as the client sees it now (its keyboard can be edited away)."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    file: tuple[str, str, bytes] | None = None  # (photo | document, file name, content)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """The inline keyboard as (label, callback data), row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(button["text"], button["callback_data"]) for row in rows for button in row]

    def data_for(self, label: str) -> str:
        for text, data in self.buttons:
            if text == label:
                return data
        raise AssertionError(f"no button {label!r} on {self.text[:40]!r}: {self.buttons}")

    def as_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Client"},
            "from": BOT_USER,
        }
        if self.file is None:
            message["text"] = self.text
        else:
            kind, name, content = self.file
            file_id = {"file_id": f"f{self.message_id}", "file_unique_id": f"u{self.message_id}"}
            message["caption"] = self.text
            if kind == "photo":
                message["photo"] = [{**file_id, "width": 1, "height": 1, "file_size": len(content)}]
            else:
                message["document"] = {**file_id, "file_name": name, "file_size": len(content)}
        if self.reply_markup and self.reply_markup.get("inline_keyboard"):
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class Chat:
    """What happened in one chat, from the bot's side."""

    messages: list[Sent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # method names, in order
    actions: list[str] = field(default_factory=list)  # sendChatAction's action
    answers: list[str | None] = field(default_factory=list)  # answerCallbackQuery's text
    edits: list[int] = field(default_factory=list)  # message ids whose keyboard was edited


class TelegramDouble:
    def __init__(self, token: str) -> None:
        self.token = token
        self.chats: dict[int, Chat] = defaultdict(Chat)
        self.commands: list[list[dict[str, str]]] = []  # each setMyCommands call
        self.calls: list[str] = []  # every method called, in order
        self.blocked: set[int] = set()  # chats whose sendMessage gets 403
        self.failing: dict[int, int] = defaultdict(int)  # chat -> sendMessages to fail with 500
        self.too_many: dict[int, int] = defaultdict(int)  # chat -> sends to answer with 429
        self.retry_after = 1  # seconds, in each 429
        self.answer_delay = 0.0  # seconds between taking a message and answering for it
        self.send_times: list[tuple[float, int]] = []  # (monotonic time, chat) of each message
        self.pushed: dict[int, dict[str, Any]] = {}  # every update, by id
        self._pending: list[dict[str, Any]] = []  # not yet confirmed by an offset
        self._redelivered: list[dict[str, Any]] = []  # served once more, whatever the offset
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._callback_chats: dict[str, int] = {}
        self._change = asyncio.Event()  # set, and replaced, whenever anything happens
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        # Webhooks: set by setWebhook; each pending update is POSTed in order until a 2xx.
        self.webhook: dict[str, Any] | None = None  # url, secret_token
        self.webhook_timeout = 5.0  # seconds Telegram waits for an answer
        self.webhook_retry = 0.2  # seconds before it tries a refused update again
        self.webhook_posts: list[tuple[int, int | None]] = []  # (update id, status or None)
        self._delivery: asyncio.Task[None] | None = None
        self.exclusive_polling = False  # as Telegram: a second poller at once gets 409
        self.conflicts = 0  # getUpdates answered 409 for that
        self._polls = 0  # getUpdates under way

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> TelegramDouble:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        # No access log: its lines hold the token. Cancel long polls whose client went away.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        self._stop_delivery()
        await self._runner.cleanup()

    # -- pushing updates -----------------------------------------------------------------------

    def push_text(
        self, chat_id: int, text: str, language_code: str = "en", chat_type: str = "private"
    ) -> int:
        return self._push_message(chat_id, {"text": text}, language_code, chat_type)

    def push_command(self, chat_id: int, command: str, language_code: str = "en") -> int:
        name_length = len(command.split(maxsplit=1)[0])
        entity = {"type": "bot_command", "offset": 0, "length": name_length}
        return self._push_message(chat_id, {"text": command, "entities": [entity]}, language_code)

    def push_sticker(self, chat_id: int) -> int:
        sticker = {
            "file_id": "sticker-file",
            "file_unique_id": "sticker-unique",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._push_message(chat_id, {"sticker": sticker})

    def push_photo(self, chat_id: int) -> int:
        size = {"file_id": "photo-file", "file_unique_id": "photo-unique", "width": 90}
        return self._push_message(chat_id, {"photo": [{**size, "height": 90}]})

    def push_voice(self, chat_id: int) -> int:
        voice = {"file_id": "voice-file", "file_unique_id": "voice-unique", "duration": 3}
        return self._push_message(chat_id, {"voice": voice})

    def push_callback(self, chat_id: int, data: str, message_id: int) -> int:
        """A tap on a button of `message_id`, carrying that message as it looks right now."""
        sent = next(m for m in self.chats[chat_id].messages if m.message_id == message_id)
        query_id = str(next(self._callback_ids))
        self._callback_chats[query_id] = chat_id
        query = {
            "id": query_id,
            "from": _user(chat_id, "en"),
            "chat_instance": f"instance-{chat_id}",
            "data": data,
            "message": sent.as_json(),
        }
        return self._push({"callback_query": query})

    def push_forged_callback(self, chat_id: int, data: str) -> int:
        """A tap on a button the bot never sent (a forged or replayed callback)."""
        query_id = str(next(self._callback_ids))
        self._callback_chats[query_id] = chat_id
        message = {
            "message_id": 10**9 + next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Client"},
            "from": BOT_USER,
            "text": "a message the bot never sent",
        }
        query = {
            "id": query_id,
            "from": _user(chat_id, "en"),
            "chat_instance": f"instance-{chat_id}",
            "data": data,
            "message": message,
        }
        return self._push({"callback_query": query})

    def push_channel_post(self, chat_id: int, text: str) -> int:
        post = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "channel", "title": "A channel"},
            "text": text,
        }
        return self._push({"channel_post": post})

    def push_edit(self, chat_id: int, text: str) -> int:
        """A private message edited after it was sent."""
        edited = {
            "message_id": next(self._message_ids),
            "date": int(time.time()) - 60,
            "edit_date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Client"},
            "from": _user(chat_id, "en"),
            "text": text,
        }
        return self._push({"edited_message": edited})

    def tap(self, chat_id: int, label: str, message: Sent | None = None) -> int:
        """Tap the button labelled `label` on `message` (default: the latest message)."""
        message = message or self.chats[chat_id].messages[-1]
        return self.push_callback(chat_id, message.data_for(label), message.message_id)

    def redeliver(self, update_id: int) -> None:
        """Serve an update again, same id, as Telegram does when it missed the confirmation."""
        self._redelivered.append(self.pushed[update_id])
        self.notify()

    def _push_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        language: str = "en",
        chat_type: str = "private",
    ) -> int:
        chat = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Client"} if chat_type == "private" else {"title": "A group"})
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": _user(chat_id, language),
            **content,
        }
        return self._push({"message": message})

    def _push(self, content: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **content}
        self.pushed[update["update_id"]] = update
        self._pending.append(update)
        self.notify()
        return int(update["update_id"])

    @property
    def unconfirmed(self) -> list[int]:
        """Update ids the bot has not confirmed with a later offset yet."""
        return [u["update_id"] for u in self._pending]

    # -- awaiting what the client sees ---------------------------------------------------------

    async def wait_for_messages(self, chat_id: int, n: int, timeout: float = 5.0) -> list[Sent]:
        """The chat's messages once there are at least `n` of them."""
        await self.wait_until(lambda: len(self.chats[chat_id].messages) >= n, timeout)
        return self.chats[chat_id].messages

    async def wait_until(self, done: Callable[[], bool], timeout: float = 5.0) -> None:
        """Return once `done()` holds, re-checking whenever the bot calls the API."""
        deadline = time.monotonic() + timeout
        while not done():
            if not await self._changed_within(deadline - time.monotonic()):
                raise TimeoutError(f"the double waited {timeout}s in vain; calls: {self.calls}")

    async def _changed_within(self, seconds: float) -> bool:
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(self._change.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    # -- the Bot API ---------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        self.calls.append(method)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not in the double")
        params = await _params(request)
        result = await handler(params)
        self.notify()
        return result if isinstance(result, web.Response) else web.json_response(_ok(result))

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return {**BOT_USER, "can_join_groups": False, "can_read_all_group_messages": False}

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        self._stop_delivery()
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        url = self.webhook["url"] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        self._stop_delivery()
        self._delivery = asyncio.create_task(self._deliver_webhooks())
        return True

    def _stop_delivery(self) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            self._delivery = None

    async def _deliver_webhooks(self) -> None:
        """As Telegram does: POST each update, oldest first, to the webhook with its secret;
        an answer other than 2xx, or none within `webhook_timeout`, means try again later."""
        assert self.webhook is not None
        url, secret = self.webhook["url"], self.webhook["secret_token"]
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if not self._pending:
                    await self._changed_within(1.0)
                    continue
                update = self._pending[0]
                try:
                    async with session.post(url, json=update, headers=headers) as response:
                        status: int | None = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = None
                self.webhook_posts.append((update["update_id"], status))
                if status is not None and 200 <= status < 300:
                    self._pending.remove(update)
                else:
                    await asyncio.sleep(self.webhook_retry)
                self.notify()

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_logOut(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        """Long polling: drop what the offset confirms, answer as soon as anything is waiting."""
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        if self.exclusive_polling and self._polls:
            self.conflicts += 1
            return _error(409, "Conflict: terminated by other getUpdates request")
        self._polls += 1
        try:
            return await self._poll(params)
        finally:
            self._polls -= 1

    async def _poll(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if self._pending or self._redelivered:
                updates, self._redelivered = self._pending + self._redelivered, []
                return updates[: int(params.get("limit") or 100)]
            if not await self._changed_within(deadline - time.monotonic()):
                return []

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        answer = self._send("sendMessage", params, params["text"])
        await asyncio.sleep(self.answer_delay)  # the client has it; the bot does not know yet
        return answer

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        name, content = params["photo"]
        return self._send("sendPhoto", params, params.get("caption", ""), ("photo", name, content))

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        name, content = params["document"]
        file = ("document", name, content)
        return self._send("sendDocument", params, params.get("caption", ""), file)

    def _send(
        self,
        method: str,
        params: dict[str, Any],
        text: str,
        file: tuple[str, str, bytes] | None = None,
    ) -> Any:
        chat_id = int(params["chat_id"])
        chat = self.chats[chat_id]
        chat.calls.append(method)
        if chat_id in self.blocked:
            return web.json_response(BLOCKED, status=403)
        if self.too_many[chat_id] > 0:
            self.too_many[chat_id] -= 1
            return _too_many(self.retry_after)
        if self.failing[chat_id] > 0:
            self.failing[chat_id] -= 1
            return _error(500, "Internal Server Error")
        sent = Sent(
            message_id=next(self._message_ids),
            chat_id=chat_id,
            text=text,
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
            file=file,
        )
        chat.messages.append(sent)
        self.send_times.append((time.monotonic(), chat_id))
        return sent.as_json()

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        chat = self.chats[chat_id]
        chat.calls.append("editMessageReplyMarkup")
        chat.edits.append(message_id)
        sent = next(m for m in chat.messages if m.message_id == message_id)
        sent.reply_markup = params.get("reply_markup")
        return sent.as_json()

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        chat = self.chats[self._callback_chats[str(params["callback_query_id"])]]
        chat.calls.append("answerCallbackQuery")
        chat.answers.append(params.get("text"))
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands.append(params["commands"])
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        chat = self.chats[int(params["chat_id"])]
        chat.calls.append("sendChatAction")
        chat.actions.append(params["action"])
        return True


def _user(chat_id: int, language_code: str) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Client", "language_code": language_code}


async def _params(request: web.Request) -> dict[str, Any]:
    """A JSON body as it is, or a form with its structured values JSON-decoded (PTB sends a
    form; numbers arrive as strings there, so handlers convert them)."""
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if body else {}
    form = await request.post()
    params: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    files = {k: (v.filename, v.file.read()) for k, v in form.items() if isinstance(v, FileField)}
    params.update(files)
    for key, value in list(params.items()):  # a file posted as "attach://<field>"
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = files[value.removeprefix("attach://")]
    for key in JSON_FIELDS:
        if key in params:
            params[key] = json.loads(params[key])
    return params


def _too_many(retry_after: int) -> web.Response:
    body = {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }
    return web.json_response(body, status=429)


def send_rates(times: list[tuple[float, int]]) -> tuple[int, int]:
    """(most messages in any one-second window overall, most to one chat in any one second)."""

    def busiest(stamps: list[float]) -> int:
        stamps, most, start = sorted(stamps), 0, 0
        for end, at in enumerate(stamps):
            while at - stamps[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    per_chat: dict[int, list[float]] = defaultdict(list)
    for at, chat in times:
        per_chat[chat].append(at)
    overall = busiest([at for at, _ in times])
    return overall, max((busiest(stamps) for stamps in per_chat.values()), default=0)


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _error(status: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status)
