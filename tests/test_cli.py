"""The command line: `run` without a token opens the terminal chat; settings are validated."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from bot.logs import QUIET_LOGGERS, RedactingFormatter, configure_logging
from bot.settings import Settings
from bot.terminal import format_item, parse_line
from dialogs import InboundKind
from storage import OutboxItem
from tests.cli_runner import alongside


def test_run_without_a_token_talks_in_the_terminal_on_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'here.db'}"
    result = alongside("run", stdin="2\n", env={"ALONGSIDE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "Is it OK for me to keep our conversation?" in result.stdout
    assert "  1) Yes, that's OK" in result.stdout
    assert "Here's the longer version." in result.stdout
    assert (tmp_path / "here.db").exists()
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_flows_are_checked_and_drawn() -> None:
    checked = alongside("flows")
    assert checked.returncode == 0 and "\nwelcome: 7 states" in checked.stdout
    drawn = alongside("flows", "--mermaid")
    assert drawn.stdout.startswith("stateDiagram-v2")


def test_bad_settings_stop_start_up_with_a_clear_message(tmp_path: Path) -> None:
    result = alongside("migrate", env={"ALONGSIDE_DATABASE_URL": "mysql://nope"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "ALONGSIDE_DATABASE_URL must be a sqlite:// or postgresql:// URL" in result.stderr


def test_settings_normalise_urls_and_hide_the_token() -> None:
    settings = Settings(
        TELEGRAM_BOT_TOKEN="123:hush-hush",
        TELEGRAM_API_BASE_URL="http://127.0.0.1:8081/",
        ALONGSIDE_DATABASE_URL="postgres://postgres@127.0.0.1/test",
    )
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081"
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1/test"
    assert "hush" not in repr(settings)
    # The token, and the webhook secret derived from it: neither ever logged.
    assert settings.secrets() == ["123:hush-hush", settings.webhook_secret_value()]
    assert "hush" not in settings.webhook_secret_value()
    with pytest.raises(ValueError, match="http"):
        Settings(TELEGRAM_API_BASE_URL="ftp://example")
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        Settings(ALONGSIDE_WEBHOOK_SECRET="no spaces or dots.")


def test_terminal_lines_and_replies() -> None:
    command = parse_line("/Menu@alongside_bot extra\n", "me")
    assert command is not None and (command.kind, command.text) == (InboundKind.COMMAND, "menu")
    text = parse_line("/ not a command", "me")
    assert text is not None and text.kind is InboundKind.TEXT
    assert parse_line("   \n", "me") is None
    item = OutboxItem(1, 1, "terminal", "me", "<b>Hi</b> &amp; you", (("1:a", "A"), ("1:b", "B")))
    assert format_item(item) == "Hi & you\n  1) A\n  2) B"
    scale = OutboxItem(
        2, 1, "terminal", "me", "How much?", tuple((f"2:{n}", str(n)) for n in range(11))
    )
    assert format_item(scale).endswith("(type a number from 0 to 10)")


def test_log_lines_never_show_a_secret_even_in_a_traceback() -> None:
    formatter = RedactingFormatter("%(message)s", ["123:secret"])
    try:
        raise ValueError("the token `123:secret` was rejected")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "bad token %s", ("123:secret",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "123:secret" not in line
    assert "bad token [redacted]" in line and "ValueError: the token `[redacted]`" in line


def test_json_logs_are_one_redacted_object_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIET_LOGGERS}
    try:
        configure_logging("INFO", ["123:hush-hush"], json_lines=True)
        log = logging.getLogger("bot.test")
        log.info("the token %s slipped in", "123:hush-hush")
        try:
            raise ValueError("123:hush-hush")
        except ValueError:
            log.exception("it failed")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["message"] == "the token [redacted] slipped in"
    assert (first["level"], first["logger"]) == ("INFO", "bot.test")
    assert second["exception"] == "ValueError" and "Traceback" in second["traceback"]
    assert "hush" not in json.dumps(second)
