"""The `alongside` command line, run as a child process the way a person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[1]


def alongside(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """`alongside ARGS` with `stdin`; no Telegram token unless `env` gives one."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": "", **(env or {})},
        timeout=60,
    )
