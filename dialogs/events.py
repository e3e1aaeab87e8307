"""What adapters hand the engine, and what it hands back. Plain frozen data, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"  # a button press; `choice` holds its callback data
    COMMAND = "command"  # `text` holds the command name, without the slash
    MEDIA = "media"  # `text` holds what it was: sticker, photo, voice, ...
    TIMER = "timer"  # a scheduled turn (check-in, urge step); `text` holds the flow trigger


@dataclass(frozen=True)
class Inbound:
    channel: str  # "telegram" | "terminal"
    external_id: str  # the chat id on that channel
    kind: InboundKind
    text: str = ""
    choice: str | None = None
    update_id: int | None = None
    locale: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    data: str  # callback data: "<question id>:<key>", well under Telegram's 64 bytes


class AttachmentKind(StrEnum):
    DOCUMENT = "document"  # a file to keep, e.g. the client's data as JSON
    PHOTO = "photo"  # a picture shown in the chat, e.g. a progress chart (PNG)


@dataclass(frozen=True)
class Attachment:
    kind: AttachmentKind
    filename: str  # a plain name, no directories
    content: bytes

    def __repr__(self) -> str:  # keep the content (the client's data) out of reprs and logs
        return f"Attachment({self.kind.value}, {self.filename!r}, {len(self.content)} bytes)"


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML; the caption when there is an attachment
    template: str
    mi_code: str
    choices: tuple[Choice, ...] = ()
    attachment: Attachment | None = None


@dataclass(frozen=True)
class TurnOutcome:
    client_id: int
    replies: tuple[Reply, ...] = ()
    notice: str | None = None  # a short toast for a button that no longer applies
    duplicate: bool = False  # the update was handled before; nothing changed
    path: tuple[str, ...] = ()  # transitions taken, as "flow#index" (no client text)
    said_in: tuple[str, ...] = ()  # the flow each reply was said in, in order
    safety_events: tuple[str, ...] = ()  # the category of each safety event recorded


@dataclass(frozen=True)
class Delivery:
    """A client who has new messages in the outbox after a scheduler round."""

    client_id: int
    channel: str
    external_id: str
    path: tuple[str, ...] = ()  # transitions taken, as "flow#index" (no client text)
    replies: tuple[Reply, ...] = ()  # what was queued, as the turns' outcomes had it
    said_in: tuple[str, ...] = ()  # the flow each reply was said in
    checkin: bool = False  # a scheduled check-in is among them (not only a timed message)
