"""compose.yaml, read as data (no Docker daemon here): the services, their health checks,
and no secret written into it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from storage.keyring import new_key

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"
KEY = new_key()
SECRET_NAMES = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY\b", re.IGNORECASE)
INTERPOLATED = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in service.get("environment", {}).items()}


def health_test(service: dict[str, Any]) -> str:
    return " ".join(service["healthcheck"]["test"])


def test_the_stack_has_its_services_in_order() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "bot", "dashboard"}
    assert services["migrate"]["command"] == ["alongside", "migrate"]
    assert services["bot"]["command"] == ["alongside", "run"]
    assert services["dashboard"]["command"] == ["alongside", "review"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("bot", "dashboard"):  # migrations first, then the new code
        migrated = {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"] == {"migrate": migrated}
    assert environment(services["bot"])["ALONGSIDE_REVIEW_ENABLED"] == "false"


def test_health_checks_use_healthz_and_readyz() -> None:
    services = compose()["services"]
    assert "pg_isready" in health_test(services["db"])
    bot, dashboard = services["bot"], services["dashboard"]
    assert "127.0.0.1:8401/readyz" in health_test(bot)
    assert environment(bot)["ALONGSIDE_HEALTH_PORT"] == "8401"
    assert "127.0.0.1:8400/healthz" in health_test(dashboard)
    assert environment(dashboard)["ALONGSIDE_REVIEW_PORT"] == "8400"
    for service in (bot, dashboard):  # the slim image has python, not curl
        assert service["healthcheck"]["test"][:2] == ["CMD", "python"]


def test_no_secret_is_written_into_it() -> None:
    for name, service in compose()["services"].items():
        for key, value in environment(service).items():
            if SECRET_NAMES.search(key):
                assert INTERPOLATED.fullmatch(value), f"{name}: {key} must come from outside"
            if "://" in value and "@" in value:  # a URL with credentials
                credentials = value.split("://", 1)[1].split("@", 1)[0]
                assert ":" not in credentials or "${" in credentials, f"{name}: {key}"
    assert not re.search(r"\d{6,}:[\w-]{30,}", COMPOSE.read_text())  # a bot token's shape


def test_polling_by_default_and_webhooks_by_one_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    bot = environment(compose()["services"]["bot"])
    assert bot["ALONGSIDE_WEBHOOK_URL"] == "${ALONGSIDE_WEBHOOK_URL:-}"
    given = {"POSTGRES_PASSWORD": "pw", "TELEGRAM_BOT_TOKEN": "123:abc", "ALONGSIDE_DATA_KEY": KEY}
    for key, value in bot.items():
        monkeypatch.setenv(key, _interpolate(value, given))
    settings = Settings(_env_file=None)
    assert settings.webhook_url is None and settings.webhook_secret is None
    assert settings.telegram_bot_token is not None
    assert settings.database_url == "postgresql+psycopg://alongside:pw@db:5432/alongside"
    assert settings.key_ring().enabled  # clients' words are encrypted in the stack
    monkeypatch.setenv("ALONGSIDE_WEBHOOK_URL", "https://bot.example.org/telegram")
    webhook = Settings(_env_file=None)
    assert webhook.webhook_url == "https://bot.example.org/telegram"


def _interpolate(value: str, given: dict[str, str]) -> str:
    return INTERPOLATED.sub(lambda m: given.get(m.group(1), ""), value)
