"""The same conversation in a terminal: replies printed as plain text, choices as numbers."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import TextIO

from dialogs import Conversation, Inbound, InboundKind
from prompts import html_to_plain
from storage import OutboxItem

CHANNEL = "terminal"
PROMPT = "you> "
MAX_WIDTH = 100
FILES_DIR = Path("alongside-files")  # where files the bot sends are saved, under the cwd


def parse_line(line: str, client: str) -> Inbound | None:
    """A typed line as the engine sees it: `/name` is a command, anything else is text."""
    text = line.rstrip("\r\n")
    if not text.strip():
        return None
    if text.startswith("/") and len(text) > 1 and not text[1].isspace():
        name = text[1:].split()[0].split("@")[0].lower()
        return Inbound(channel=CHANNEL, external_id=client, kind=InboundKind.COMMAND, text=name)
    return Inbound(channel=CHANNEL, external_id=client, kind=InboundKind.TEXT, text=text)


def format_item(item: OutboxItem, width: int | None = None) -> str:
    """A reply as plain text, wrapped at word boundaries to `width` if given, with its choices
    numbered."""
    lines = [
        textwrap.fill(line, width, subsequent_indent="  " if line.startswith("•") else "")
        if width
        else line
        for line in html_to_plain(item.text).splitlines()
    ]
    labels = [label for _, label in item.choices]
    if labels and all(label.isdigit() for label in labels):
        lines.append(f"  (type a number from {labels[0]} to {labels[-1]})")
    else:
        lines.extend(f"  {number}) {label}" for number, label in enumerate(labels, start=1))
    return "\n".join(lines)


class TerminalChat:
    def __init__(
        self, conversation: Conversation, client: str, out: TextIO, files_dir: Path = FILES_DIR
    ) -> None:
        self.conversation = conversation
        self.client = client
        self.out = out
        self.files_dir = files_dir

    def send(self, inbound: Inbound) -> None:
        outcome = self.conversation.handle(inbound)
        self.deliver(outcome.client_id)

    def deliver(self, client_id: int) -> None:
        db = self.conversation.db
        # Wrapped for a person at a terminal; piped output stays one line a paragraph.
        width = (
            min(MAX_WIDTH, shutil.get_terminal_size().columns - 1) if self.out.isatty() else None
        )
        for item in db.pending_outbox(client_id=client_id):
            self.out.write("\n" + format_item(item, width) + "\n")
            if item.attachment is not None:
                self.out.write(f"  [{item.attachment[0]} saved to {self.save(item.attachment)}]\n")
            db.mark_sent(item.id)
        self.out.flush()

    def save(self, attachment: tuple[str, str, bytes]) -> Path:
        """Write a file the bot sent into `files_dir`, readable by this user only."""
        _, filename, content = attachment
        self.files_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.files_dir / (Path(filename).name or "file")
        path.touch(mode=0o600)
        path.write_bytes(content)
        return path

    def run(self, source: TextIO) -> None:
        """Greet (or pick up where we were), then read lines until end of input."""
        self.send(
            Inbound(
                channel=CHANNEL, external_id=self.client, kind=InboundKind.COMMAND, text="start"
            )
        )
        while True:
            self.out.write("\n" + PROMPT)
            self.out.flush()
            line = source.readline()
            if not line:
                self.out.write("\n")
                return
            inbound = parse_line(line, self.client)
            if inbound is not None:
                self.send(inbound)
