"""A client that talks to the engine the way errbot's test backend does: push a message in,
pop the replies out. Replies are read from the outbox, the real delivery path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import count

from dialogs import Conversation, Inbound, InboundKind, TurnOutcome
from dialogs.rhythm import ShiftedClock, parse_duration
from prompts import html_to_plain

_update_ids = count(1)


@dataclass(frozen=True)
class Said:
    text: str  # plain text, as the terminal shows it
    html: str
    buttons: tuple[tuple[str, str], ...]  # (callback data, label)
    attachment: tuple[str, str, bytes] | None = None  # (kind, file name, content)

    @property
    def labels(self) -> list[str]:
        return [label for _, label in self.buttons]


class TestClient:
    __test__ = False  # not a pytest class

    def __init__(self, conversation: Conversation, who: str = "client-1", channel: str = "test"):
        self.conversation = conversation
        self.who = who
        self.channel = channel
        self.history: list[Said] = []
        self.last: list[Said] = []
        self.last_outcome: TurnOutcome | None = None
        self.paths: list[str] = []  # every transition taken, "flow#index"
        self.locale: str | None = None  # Telegram's language code, e.g. "en-GB"

    # -- talking -------------------------------------------------------------------------------

    def say(self, text: str) -> list[Said]:
        if text.startswith("/") and len(text) > 1:
            return self._send(InboundKind.COMMAND, text=text[1:].split()[0].lower())
        return self._send(InboundKind.TEXT, text=text)

    def tap(self, label: str) -> list[Said]:
        """Press the button with this label on the newest message that has buttons."""
        return self._send(InboundKind.CHOICE, choice=self.button_data(label))

    def press(self, data: str) -> list[Said]:
        """Press a button by its raw callback data (old, forged or unknown buttons)."""
        return self._send(InboundKind.CHOICE, choice=data)

    def send_media(self, kind: str) -> list[Said]:
        return self._send(InboundKind.MEDIA, text=kind)

    def button_data(self, label: str) -> str:
        for said in reversed(self.history):
            if said.buttons:
                for data, shown in said.buttons:
                    if shown == label:
                        return data
                raise AssertionError(f"no button {label!r}; the buttons are {said.labels}")
        raise AssertionError("no message with buttons yet")

    def _send(self, kind: InboundKind, *, text: str = "", choice: str | None = None) -> list[Said]:
        outcome = self.conversation.handle(
            Inbound(
                channel=self.channel,
                external_id=self.who,
                kind=kind,
                text=text,
                choice=choice,
                update_id=next(_update_ids),
                at=self.conversation.clock(),
                locale=self.locale,
            )
        )
        self.last_outcome = outcome
        self.paths.extend(outcome.path)
        return self._receive(outcome.client_id)

    def wait(self, how_long: str | timedelta) -> list[Said]:
        """Let time pass (the conversation's clock must be a ShiftedClock), then run the
        scheduler once, as the bot's loop would; what it sent this client is `last`."""
        clock = self.conversation.clock
        assert isinstance(clock, ShiftedClock), "this conversation's clock cannot be moved"
        clock.advance(how_long if isinstance(how_long, timedelta) else parse_duration(how_long))
        deliveries = self.conversation.send_due()
        mine = [d for d in deliveries if (d.channel, d.external_id) == (self.channel, self.who)]
        self.last = []
        for delivery in mine:
            self.paths.extend(delivery.path)
        return self._receive(mine[0].client_id) if mine else self.last

    def _receive(self, client_id: int) -> list[Said]:
        db = self.conversation.db
        self.last = []
        for item in db.pending_outbox(client_id=client_id):
            said = Said(html_to_plain(item.text), item.text, item.choices, item.attachment)
            self.last.append(said)
            db.mark_sent(item.id)
        self.history.extend(self.last)
        return self.last

    # -- looking -------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """Everything the bot said in reply to the last message, as one text."""
        return "\n\n".join(s.text for s in self.last)

    @property
    def buttons(self) -> list[str]:
        return next((s.labels for s in reversed(self.last) if s.buttons), [])
