"""The dashboard's settings, from the environment (or `.env`), validated once at start."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReviewSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    enabled: bool = Field(default=True, alias="ALONGSIDE_REVIEW_ENABLED")  # beside `run`
    host: str = Field(default="127.0.0.1", alias="ALONGSIDE_REVIEW_HOST")
    port: int = Field(default=8400, ge=0, le=65535, alias="ALONGSIDE_REVIEW_PORT")
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60, alias="ALONGSIDE_REVIEW_IDLE_MINUTES")
    max_hours: int = Field(default=12, ge=1, le=7 * 24, alias="ALONGSIDE_REVIEW_MAX_HOURS")
    # Password checks (Argon2, 64 MiB each) at once in this process; more wait, then are refused.
    sign_in_checks: int = Field(default=2, ge=1, le=32, alias="ALONGSIDE_REVIEW_SIGN_IN_CHECKS")
    # Mark cookies Secure on every response, not only on requests that arrived over HTTPS.
    secure_cookies: bool = Field(default=False, alias="ALONGSIDE_REVIEW_SECURE_COOKIES")
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated IPs).
    trusted_proxies: str = Field(default="", alias="ALONGSIDE_REVIEW_TRUSTED_PROXIES")

    # Host names the dashboard answers to (comma-separated); any other Host header gets a 400.
    allowed_hosts: str = Field(
        default="127.0.0.1,localhost,::1", alias="ALONGSIDE_REVIEW_ALLOWED_HOSTS"
    )
    # The service's time zone (an IANA name): the dashboard shows times in it, UTC on hover.
    time_zone: str = Field(default="UTC", alias="ALONGSIDE_REVIEW_TIME_ZONE")
    # A counselor holding a client's chat who has not written for this long hands it back to the
    # bot by itself (issue 12).
    handoff_idle_minutes: int = Field(
        default=20, ge=1, le=24 * 60, alias="ALONGSIDE_HANDOFF_IDLE_MINUTES"
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"ALONGSIDE_REVIEW_TIME_ZONE: no time zone named {value!r}") from error
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _no_wildcard(cls, value: str) -> str:
        if "*" in value:
            raise ValueError("ALONGSIDE_REVIEW_TRUSTED_PROXIES lists addresses; '*' is refused")
        return value

    def hosts(self) -> list[str]:
        return [h.strip().strip("[]") for h in self.allowed_hosts.split(",") if h.strip()]

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def proxies(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
