"""Serving the dashboard: alone (`alongside review`), or beside the bot in the same process,
on the bot's asyncio loop (Telegram) or in a thread (terminal chat)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator

import uvicorn

from review.app import create_app
from review.config import ReviewSettings
from storage import Database

log = logging.getLogger("alongside.review")


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host (the bot owns Ctrl-C)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(db: Database, settings: ReviewSettings) -> uvicorn.Config:
    # uvicorn's own start-up chatter stays out of the terminal chat; its errors still show.
    uvicorn_log = logging.getLogger("uvicorn")
    uvicorn_log.setLevel(max(uvicorn_log.getEffectiveLevel(), logging.WARNING))
    return uvicorn.Config(
        create_app(db, settings),
        log_config=None,  # our logging set-up, and its redaction
        access_log=False,  # request lines carry search words: never logged
        proxy_headers=False,  # the app trusts only ALONGSIDE_REVIEW_TRUSTED_PROXIES
        server_header=False,
        lifespan="off",
    )


def bind(settings: ReviewSettings) -> socket.socket:
    """The listening socket, bound now so a busy port is reported at once."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


def serve(db: Database, settings: ReviewSettings) -> None:
    """Serve until Ctrl-C (`alongside review`)."""
    sock = bind(settings)
    log.info("review dashboard at %s", url(sock))
    uvicorn.Server(_config(db, settings)).run(sockets=[sock])


class Beside:
    """The dashboard running next to the bot: `start`/`stop` on the bot's loop, or
    `start_thread`/`stop_thread` beside a blocking terminal chat."""

    def __init__(self, db: Database, settings: ReviewSettings) -> None:
        self.db = db
        self.settings = settings
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def _prepare(self) -> socket.socket | None:
        try:
            sock = bind(self.settings)
        except OSError as error:
            log.error(
                "review dashboard not started: %s:%s is not free (%s); the bot runs without it",
                self.settings.host,
                self.settings.port,
                error.strerror or type(error).__name__,
            )
            return None
        self._server = _QuietServer(_config(self.db, self.settings))
        log.info("review dashboard at %s", url(sock))
        return sock

    async def start(self) -> None:
        sock = self._prepare()
        if sock is not None and self._server is not None:
            self._task = asyncio.create_task(self._server.serve(sockets=[sock]))

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    def start_thread(self) -> None:
        sock = self._prepare()
        if sock is not None and self._server is not None:
            server = self._server
            self._thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="review", daemon=True
            )
            self._thread.start()

    def stop_thread(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
