"""`alongside counselor`, `alongside audit`, `alongside review`, and the dashboard served beside
the bot: on the bot's own asyncio loop, and beside the terminal chat."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from review import accounts
from review.config import ReviewSettings
from review.server import Beside
from review.throttle import CheckGate
from storage import Database
from tests import cli_runner
from tests.cli_runner import REPO
from tests.review_seed import PASSWORD


def alongside(
    *args: str, db: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command line on the database at `db`."""
    return cli_runner.alongside(
        *args, stdin=stdin, env={"ALONGSIDE_DATABASE_URL": db, **(env or {})}
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_accounts_are_managed_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    added = alongside("counselor", "add", "Ada", "--admin", db=url, stdin=PASSWORD + "\n")
    assert added.returncode == 0 and added.stdout == "added ada (admin)\n", added.stderr
    assert alongside("counselor", "add", "casey", db=url, stdin=PASSWORD + "\n").returncode == 0
    short = alongside("counselor", "add", "sam", db=url, stdin="short\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    again = alongside("counselor", "add", "casey", db=url, stdin=PASSWORD + "\n")
    assert again.returncode == 1 and "already an account named casey" in again.stderr
    assert alongside("counselor", "disable", "casey", db=url).stdout == "casey is disabled\n"
    listed = alongside("counselor", "list", db=url).stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [
        ["ada", "admin", "active"],
        ["casey", "counselor", "disabled"],
    ]
    assert alongside("counselor", "enable", "casey", db=url).returncode == 0
    reset = alongside("counselor", "reset-password", "casey", db=url, stdin="a brand new secret\n")
    assert reset.returncode == 0
    missing = alongside("counselor", "disable", "nobody", db=url)
    assert missing.returncode == 1 and "no account named nobody" in missing.stderr

    db = Database(url)
    gate = CheckGate(1)
    signed = accounts.authenticate(db, "casey", "a brand new secret", address="here", gate=gate)
    assert signed.account is not None
    assert accounts.authenticate(db, "casey", PASSWORD, address="here", gate=gate).account is None
    log = alongside("audit", "--limit", "100", db=url)
    lines = [line.split("\t") for line in log.stdout.splitlines()]
    assert [line[2] for line in lines] == [
        "account added",
        "account added",
        "account disabled",
        "account enabled",
        "password reset",
        "signed in",
        "sign-in failed",
    ]
    assert lines[0][1].startswith("command line (") and lines[0][5] == "local"
    everything = log.stdout + added.stdout + added.stderr + reset.stdout + reset.stderr
    assert PASSWORD not in everything and "a brand new secret" not in everything


def test_review_reports_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = alongside(
            "review",
            db=f"sqlite:///{tmp_path / 'a.db'}",
            env={"ALONGSIDE_REVIEW_PORT": str(port)},
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


async def test_the_dashboard_runs_on_the_bots_event_loop(sqlite_db: Database) -> None:
    port = free_port()
    beside = Beside(sqlite_db, ReviewSettings(ALONGSIDE_REVIEW_PORT=port))
    await beside.start()
    try:
        async with httpx.AsyncClient() as client:
            page = await client.get(f"http://127.0.0.1:{port}/sign-in")
        assert page.status_code == 200 and "Sign in" in page.text
    finally:
        await beside.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/sign-in")


def test_run_serves_the_dashboard_beside_the_terminal_chat(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "",
        "ALONGSIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
        "ALONGSIDE_REVIEW_PORT": str(port),
    }
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the dashboard did not start beside the terminal chat")
        assert page.status_code == 200
        out, err = chat.communicate("1\n", timeout=30)
    finally:
        if chat.poll() is None:
            chat.kill()
    assert chat.returncode == 0
    assert "Is it OK for me to keep our conversation?" in out
    assert f"review dashboard at http://127.0.0.1:{port}/" in err


def test_run_can_leave_the_dashboard_out(tmp_path: Path) -> None:
    result = alongside(
        "run",
        db=f"sqlite:///{tmp_path / 'a.db'}",
        stdin="1\n",
        env={"ALONGSIDE_REVIEW_ENABLED": "false"},
    )
    assert result.returncode == 0 and "review dashboard" not in result.stderr
