"""Logging that keeps secrets and message text out: no library logs request URLs (they hold
the bot token) or update contents, and the formatter redacts any known secret that still
reaches a line, in the message or in a traceback."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# At DEBUG these would log request URLs (with the token), updates and message texts.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "transitions",
    "aiohttp.access",
    "alembic.runtime",
)
REDACTED = "[redacted]"


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, line: str) -> str:
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


class JsonFormatter(RedactingFormatter):
    """One JSON object a line, for log collectors: time, level, logger, message, and the
    exception's type and traceback when there is one; redacted like the text lines."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False))


def configure_logging(level: str, secrets: list[str], *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler()
    text_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    formatter = JsonFormatter(secrets) if json_lines else RedactingFormatter(text_format, secrets)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
