"""Health and metrics over HTTP, on the bot's asyncio loop, when ALONGSIDE_HEALTH_PORT is set.

* `/healthz`: 200 while the process runs.
* `/readyz`: 200 when the database answers with the newest schema and Telegram answered a poll
  lately; 503 otherwise, with which check failed (never a secret, never a client).
* `/metrics`: Prometheus text (`bot.metrics`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY, QueueCollector
from bot.serving import LoopServer
from storage import Database

CHECK_SECONDS = 5.0  # a database check slower than this counts as down


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


class HealthServer(LoopServer):
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        super().__init__(app, host, port, "health and metrics")

    async def stop(self) -> None:
        await super().stop()
        REGISTRY.unregister(self.app.state.collector)
