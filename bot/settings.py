"""All configuration, from the environment (or a `.env` file), validated once at start."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dialogs.hours import DEFAULT_HOURS, ServiceHours
from storage.keyring import KeyProblem, KeyRing
from storage.retention import DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_RETENTION_DAYS

DEFAULT_DATABASE_URL = "sqlite:///alongside.db"
TELEGRAM_API = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default=TELEGRAM_API, alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="ALONGSIDE_DATABASE_URL")
    log_level: str = Field(default="INFO", alias="ALONGSIDE_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(default="text", alias="ALONGSIDE_LOG_FORMAT")
    poll_timeout: int = Field(default=30, ge=0, le=50, alias="TELEGRAM_POLL_TIMEOUT")
    scheduler_interval: float = Field(
        default=15.0, gt=0, le=3600, alias="ALONGSIDE_SCHEDULER_INTERVAL"
    )  # seconds between looks for due check-ins
    # Sending: Telegram allows about 30 messages a second per bot and 1 a second per chat.
    send_per_second: int = Field(default=28, ge=1, le=1000, alias="ALONGSIDE_SEND_PER_SECOND")
    chat_send_interval: float = Field(
        default=1.1, ge=0, le=60, alias="ALONGSIDE_CHAT_SEND_INTERVAL"
    )  # seconds between two messages to one chat
    # Turns run at once in this process (default: 1 on SQLite, which serialises writers; 4 else).
    turn_workers: int | None = Field(default=None, ge=1, le=64, alias="ALONGSIDE_TURN_WORKERS")
    # On SIGTERM: seconds to finish the turns waiting and send what the outbox holds, then exit.
    # (8: within the 10 s `docker stop` and most supervisors wait before they kill.)
    shutdown_grace: float = Field(default=8.0, ge=0, le=600, alias="ALONGSIDE_SHUTDOWN_GRACE")
    # Webhook mode when set: the public https URL Telegram POSTs updates to (a TLS proxy in
    # front forwards them to WEBHOOK_HOST:WEBHOOK_PORT); unset, long polling.
    webhook_url: str | None = Field(default=None, alias="ALONGSIDE_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="ALONGSIDE_WEBHOOK_SECRET")
    webhook_host: str = Field(default="127.0.0.1", alias="ALONGSIDE_WEBHOOK_HOST")
    webhook_port: int = Field(default=8443, ge=0, le=65535, alias="ALONGSIDE_WEBHOOK_PORT")
    # /healthz, /readyz and /metrics (bot.health) on this port; unset, not served.
    health_host: str = Field(default="127.0.0.1", alias="ALONGSIDE_HEALTH_HOST")
    health_port: int | None = Field(default=None, ge=0, le=65535, alias="ALONGSIDE_HEALTH_PORT")
    # The on-call counselors' Telegram chat for safety alerts; unset, no alert is sent.
    alert_chat_id: int | None = Field(default=None, alias="ALONGSIDE_ALERT_CHAT_ID")
    # When people on the team read and answer, in the service's time zone (the dashboard's
    # setting): a client who asks for a person outside them is told when someone will read it.
    time_zone: str = Field(default="UTC", alias="ALONGSIDE_REVIEW_TIME_ZONE")
    service_hours: str = Field(default=DEFAULT_HOURS, alias="ALONGSIDE_SERVICE_HOURS")
    # Privacy at rest (storage.keyring): the master key clients' words are sealed with, given
    # itself or as a file holding it (`alongside keys new` makes one); earlier keys, comma
    # separated, until `alongside keys rotate` has moved everything off them. Without a key
    # the Telegram bot refuses to start unless plaintext is allowed.
    data_key: SecretStr | None = Field(default=None, alias="ALONGSIDE_DATA_KEY")
    data_key_file: Path | None = Field(default=None, alias="ALONGSIDE_DATA_KEY_FILE")
    retired_data_keys: SecretStr | None = Field(default=None, alias="ALONGSIDE_RETIRED_DATA_KEYS")
    allow_plaintext: bool = Field(default=False, alias="ALONGSIDE_ALLOW_PLAINTEXT")
    # Days a client's words are kept after their last message; then the scheduler erases them.
    retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS, ge=1, le=36500, alias="ALONGSIDE_RETENTION_DAYS"
    )
    # Days the counselors' audit log is kept (at least a year: the database refuses sooner).
    audit_retention_days: int = Field(
        default=DEFAULT_AUDIT_RETENTION_DAYS,
        ge=366,
        le=36500,
        alias="ALONGSIDE_AUDIT_RETENTION_DAYS",
    )

    @field_validator(
        "data_key",
        "data_key_file",
        "retired_data_keys",
        "telegram_bot_token",
        "alert_chat_id",
        "turn_workers",
        "health_port",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("TELEGRAM_API_BASE_URL must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        """SQLite or PostgreSQL; plain postgres URLs get the psycopg (v3) driver."""
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        if not value.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ValueError("ALONGSIDE_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("ALONGSIDE_WEBHOOK_URL must be an https URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("ALONGSIDE_WEBHOOK_SECRET: 1-256 of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("ALONGSIDE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("service_hours")
    @classmethod
    def _readable_hours(cls, value: str, info: ValidationInfo) -> str:
        """Hours or a time zone that cannot be read are refused at start."""
        try:
            ServiceHours.parse(value, info.data.get("time_zone", "UTC"))
        except (ValueError, KeyError) as error:  # KeyError: ZoneInfoNotFoundError
            raise ValueError(f"ALONGSIDE_SERVICE_HOURS: {error}") from error
        return value

    def hours(self) -> ServiceHours:
        return ServiceHours.parse(self.service_hours, self.time_zone)

    def webhook_secret_value(self) -> str:
        """The webhook's secret token: the configured one, else one derived from the bot token
        (the same in every process)."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        assert self.telegram_bot_token is not None
        token = self.telegram_bot_token.get_secret_value()
        return hmac.new(token.encode(), b"alongside webhook", hashlib.sha256).hexdigest()

    def data_key_text(self) -> str | None:
        """The master key: ALONGSIDE_DATA_KEY, else the contents of ALONGSIDE_DATA_KEY_FILE."""
        if self.data_key is not None:
            return self.data_key.get_secret_value()
        if self.data_key_file is not None:
            try:
                return self.data_key_file.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise KeyProblem(f"ALONGSIDE_DATA_KEY_FILE cannot be read: {error}") from error
        return None

    def key_ring(self) -> KeyRing:
        """The keys, checked (a malformed key raises `KeyProblem`, which never shows it)."""
        retired = self.retired_data_keys
        return KeyRing.from_settings(
            self.data_key_text(), retired.get_secret_value() if retired else None
        )

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        found: list[str] = []
        if self.telegram_bot_token is not None:
            found += [self.telegram_bot_token.get_secret_value(), self.webhook_secret_value()]
        if self.data_key is not None:
            found.append(self.data_key.get_secret_value())
        if self.retired_data_keys is not None:
            found += [k for k in self.retired_data_keys.get_secret_value().split(",") if k]
        return found
