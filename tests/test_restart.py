"""A restart loses nothing: a conversation in one process, the process killed, and a new
process that carries on at the same question, with the same goal and transcript."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import Session, col
from sqlmodel import select as sql_select

from storage import Database
from storage.models import Goal, TranscriptEvent

PROMPT = "you> "


class ChatProcess:
    """`alongside chat` in a child process, talked to through its stdin and stdout."""

    def __init__(self, database_url: str, cwd: Path) -> None:
        env = {**os.environ, "ALONGSIDE_DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": ""}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat", "--as", "restart-test"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
        )
        self.output = ""

    def read_until_prompt(self, timeout: float = 30.0) -> str:
        """Everything printed until the bot waits for input again."""
        assert self.process.stdout is not None
        start, deadline = len(self.output), time.monotonic() + timeout
        while len(self.output) == start or not self.output.endswith(PROMPT):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no prompt; the process printed:\n{self.output}"
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                assert chunk, f"the process ended; it printed:\n{self.output}"
                self.output += chunk.decode()
        return self.output[start:]

    def say(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()
        return self.read_until_prompt()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def test_a_killed_process_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'alongside.db'}"
    repo = Path(__file__).parents[1]

    first = ChatProcess(url, repo)
    assert "Is it OK for me to keep our conversation?" in first.read_until_prompt()
    first.say("1")  # Yes, that's OK
    first.say("2")  # No, thank you (to counselor review)
    first.say("my drinking")
    first.say("sleeping better")
    first.say("/menu")
    first.say("Thinking about change")
    first.say("Other times or places")  # (less of it would first offer withdrawal info)
    reply = first.say("two dry days a week")
    assert "So your goal, in your words: “two dry days a week”." in reply
    assert "how important is this change to you right now?" in reply
    first.kill()  # no clean shutdown

    second = ChatProcess(url, repo)
    greeting = second.read_until_prompt()
    assert "Welcome back. Here's where we were." in greeting
    assert "how important is this change to you right now?" in greeting
    assert "What makes it a 6 and not a lower number?" in second.say("6")
    second.kill()

    db = Database(url)
    with Session(db.engine) as session:
        goals = session.exec(sql_select(Goal.words).where(Goal.status == "active")).all()
        said = session.exec(
            sql_select(TranscriptEvent.text)
            .where(TranscriptEvent.direction == "in")
            .order_by(col(TranscriptEvent.id))
        ).all()
    db.dispose()
    assert goals == ["two dry days a week"]
    assert "two dry days a week" in said and "6" in said
    assert said.count("two dry days a week") == 1
