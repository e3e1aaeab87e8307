"""/healthz, /readyz and /metrics beside the running bot (ALONGSIDE_HEALTH_PORT)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bot.app import Services
from tests.telegram_bot import ALEX, Person, bot_services, running
from tests.telegram_double import TelegramDouble


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = free_port()


@pytest.fixture
def services(tmp_path: Path, double: TelegramDouble) -> Iterator[Services]:
    with bot_services(tmp_path, double, ALONGSIDE_HEALTH_PORT=PORT) as services:
        yield services


async def test_health_readiness_and_metrics(services: Services, double: TelegramDouble) -> None:
    async with (
        running(services, double) as bot,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as http,
    ):
        assert (await http.get("/healthz")).text == "ok\n"
        await double.wait_until(lambda: "getUpdates" in double.calls)
        await Person(bot, ALEX).says("/start")
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "checks": {"database": True, "telegram": True}}
        scraped = (await http.get("/metrics")).text
        assert 'alongside_turns_total{outcome="done"}' in scraped
        assert "alongside_sends_total" in scraped
        assert "alongside_inbox_depth 0.0" in scraped
        assert "alongside_outbox_depth 0.0" in scraped
        assert str(ALEX) not in scraped  # no chat ids in labels

        with services.db.engine.begin() as connection:  # as if the code were newer than it
            connection.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        not_ready = await http.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"]["database"] is False


async def test_metrics_count_safety_events_by_category_and_429s(
    services: Services, double: TelegramDouble
) -> None:
    double.too_many[ALEX] = 1  # Telegram answers the first send 429 Too Many Requests
    async with (
        running(services, double) as bot,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as http,
    ):
        before = _samples((await http.get("/metrics")).text)
        await Person(bot, ALEX).says("/start")
        await double.wait_until(lambda: len(double.chats[ALEX].messages) >= 1, timeout=15)
        await Person(bot, ALEX).says("i want to end it all tonight")
        after = _samples((await http.get("/metrics")).text)

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert grew('alongside_safety_events_total{category="suicide"}') == 1
    assert grew("alongside_too_many_requests_total") == 1
    assert grew('alongside_send_errors_total{kind="too_many_requests"}') == 0  # retried
    assert double.chats[ALEX].messages  # and delivered
    assert "alongside_checkins_sent_total" in after  # the scheduler's (tests/test_scheduling.py)


def _samples(scraped: str) -> dict[str, float]:
    """Prometheus text as {sample with its labels: value} (comments left out)."""
    pairs = (line.rsplit(" ", 1) for line in scraped.splitlines() if not line.startswith("#"))
    return {name: float(value) for name, value in pairs}
