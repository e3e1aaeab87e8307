"""A database (or Telegram) that is away: log it once, back off, log once when it is back."""

from __future__ import annotations

import logging

FIRST_DELAY = 0.5  # seconds
MAX_DELAY = 5.0  # a database back after an outage is noticed within this


class Outage:
    def __init__(self, logger: logging.Logger, what: str) -> None:
        self.log, self.what = logger, what
        self.delay = 0.0

    @property
    def ongoing(self) -> bool:
        return self.delay > 0

    def failed(self, error: BaseException) -> float:
        """Seconds to wait before trying again. Only the first failure of an outage is logged,
        by the exception's type: its message may quote a statement."""
        if not self.ongoing:
            self.log.error(
                "%s failed (%s): retrying with back-off until it works", self.what, _name(error)
            )
        self.delay = min(MAX_DELAY, max(FIRST_DELAY, self.delay * 2))
        return self.delay

    def recovered(self) -> None:
        if self.ongoing:
            self.log.info("%s works again", self.what)
        self.delay = 0.0


# What a driver's error code means, in words for whoever reads the log (never its message,
# which may quote a statement): SQLite's result codes, PostgreSQL's SQLSTATEs.
MEANINGS = {
    "SQLITE_READONLY": "the database is read-only",
    "SQLITE_FULL": "the disk is full",
    "SQLITE_CANTOPEN": "the database file cannot be opened",
    "SQLITE_IOERR": "the disk failed to read or write",
    "53100": "the database server's disk is full",
    "25006": "the database is read-only",
    "57P03": "the database server is starting or stopping",
}


def _name(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error.__cause__  # the driver's own error
    name = type(error).__name__ + (f" from {type(cause).__name__}" if cause else "")
    meaning = _meaning(cause or error)
    return f"{name}: {meaning}" if meaning else name


def _meaning(error: BaseException) -> str | None:
    sqlite_code = getattr(error, "sqlite_errorname", None)  # e.g. SQLITE_READONLY_DBMOVED
    if isinstance(sqlite_code, str):
        return MEANINGS.get("_".join(sqlite_code.split("_")[:2]))
    sqlstate = getattr(error, "sqlstate", None)
    return MEANINGS.get(sqlstate) if isinstance(sqlstate, str) else None
