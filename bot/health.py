"""Health and metrics over HTTP, on the bot's asyncio loop, when ALONGSIDE_HEALTH_PORT is set.

* `/healthz`: 200 while the process runs.
* `/readyz`: 200 when the database answers with the newest schema and Telegram answered a poll
  lately; 503 otherwise, with which check failed (never a secret, never a client).
* `/metrics`: Prometheus text (`bot.metrics`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY, QueueCollector
from storage import Database

log = logging.getLogger(__name__)

CHECK_SECONDS = 5.0  # a database check slower than this counts as down


class _Quiet(uvicorn.Server):
    """Leaves signal handling to the bot."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def create_app(db: Database, telegram_ok: Callable[[], bool]) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    collector = QueueCollector(db)
    REGISTRY.register(collector)

    @app.get("/healthz")
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"database": await _schema_current(db), "telegram": telegram_ok()}
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    app.state.collector = collector
    return app


async def _schema_current(db: Database) -> bool:
    try:
        return await asyncio.wait_for(asyncio.to_thread(db.schema_is_current), CHECK_SECONDS)
    except Exception:
        return False


class HealthServer:
    """`start` and `stop` on the bot's loop; a busy port is one log line, and no server."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.app, self.host, self.port = app, host, port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            sock = socket.create_server((self.host, self.port), reuse_port=False)
        except OSError as error:
            log.error(
                "health server not started: %s:%s is not free (%s)",
                self.host,
                self.port,
                error.strerror or type(error).__name__,
            )
            return
        sock.setblocking(False)
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, server_header=False, lifespan="off"
        )
        self._server = _Quiet(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        log.info("health and metrics at http://%s:%s/", self.host, sock.getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        REGISTRY.unregister(self.app.state.collector)


def recent(last: Callable[[], float | None], within: float) -> Callable[[], bool]:
    """True while `last()` (a monotonic time) is at most `within` seconds ago."""

    def check() -> bool:
        at = last()
        return at is not None and time.monotonic() - at <= within

    return check
