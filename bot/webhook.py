"""Webhook mode (ALONGSIDE_WEBHOOK_URL): Telegram POSTs each update; the handler checks the
secret token, commits the update to the inbox, and only then answers 200. Anything else (the
database away, a slow commit past Telegram's patience) is not a 200, so Telegram sends the
update again; a second copy is skipped by the inbox. Turns run apart, as in polling."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response
from telegram import Update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header's name)


def path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def create_app(
    path: str, secret: str, bot: Any, store: Callable[[tuple[Update, ...]], Awaitable[bool]]
) -> FastAPI:
    """`store(updates)` commits them and says whether it could."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    expected = secret.encode()

    @app.post(path)
    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return Response(status_code=403)
        try:
            update = Update.de_json(await request.json(), bot)
        except Exception:  # not an update: nothing Telegram would send again
            return Response(status_code=400)
        return Response(status_code=200 if await store((update,)) else 503)

    return app
