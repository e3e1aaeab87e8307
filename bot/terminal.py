"""The same conversation in a terminal: replies printed as plain text, choices as numbers."""

from __future__ import annotations

import select
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from dialogs import Conversation, Inbound, InboundKind
from dialogs.rhythm import ShiftedClock, parse_duration
from prompts import html_to_plain
from storage import OutboxItem

CHANNEL = "terminal"
PROMPT = "you> "
MAX_WIDTH = 100
FILES_DIR = Path("alongside-files")  # where files the bot sends are saved, under the cwd
CLOCK_COMMAND = "/clock"
POLL_SECONDS = 5.0  # at a terminal, how often to look for due messages while waiting


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
        self,
        conversation: Conversation,
        client: str,
        out: TextIO,
        files_dir: Path = FILES_DIR,
        clock: ShiftedClock | None = None,
    ) -> None:
        self.conversation = conversation
        self.client = client
        self.out = out
        self.files_dir = files_dir
        self.clock = clock  # set: /clock moves time, to see check-ins come (development)

    def send(self, inbound: Inbound) -> None:
        # Sent now by the conversation's clock (which `/clock` may have moved).
        outcome = self.conversation.handle(replace(inbound, at=self.conversation.clock()))
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
            line = self.read_line(source)
            if not line:
                self.out.write("\n")
                return
            if self.clock is not None and line.strip().lower().startswith(CLOCK_COMMAND):
                self.move_clock(line.strip()[len(CLOCK_COMMAND) :])
            else:
                inbound = parse_line(line, self.client)
                if inbound is not None:
                    self.send(inbound)
            self.send_due()

    def read_line(self, source: TextIO) -> str:
        """The next line; at a terminal, what falls due meanwhile (an urge-surfing step, a
        check-in) is shown while waiting for it."""
        if source.isatty():
            while not select.select([source], [], [], POLL_SECONDS)[0]:
                if self.send_due():
                    self.out.write("\n" + PROMPT)
                    self.out.flush()
        return source.readline()

    def send_due(self) -> bool:
        """The scheduler, in process: queue what has fallen due, and show this client's."""
        shown = False
        for delivery in self.conversation.send_due(channel=CHANNEL):
            if delivery.external_id == self.client:
                self.deliver(delivery.client_id)
                shown = True
        return shown

    def move_clock(self, how_long: str) -> None:
        """`/clock +1d`, `/clock 3h`, `/clock 30m` (a development aid: `alongside chat --clock`)."""
        assert self.clock is not None
        try:
            self.clock.advance(parse_duration(how_long))
        except ValueError:
            self.out.write("\n  [/clock takes +30m, +3h or +1d]\n")
        self.out.write(f"\n  [clock: {self.clock():%A %d %B %Y %H:%M} UTC]\n")
