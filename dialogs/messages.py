"""A turn's replies as Telegram messages: parts that fit together go as one message (the
reflection and the question, say), which halves what Telegram's 30-a-second cap must carry.
The transcript still keeps each part with its own template and MI code."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.events import Attachment, Choice, Reply
from prompts.renderer import TELEGRAM_MESSAGE_LIMIT

PART_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Message:
    text: str
    choices: tuple[Choice, ...] = ()
    attachment: Attachment | None = None


def as_messages(replies: list[Reply]) -> list[Message]:
    """Consecutive replies joined while the text fits one message and only the last carries
    buttons; a reply with a file is always a message of its own."""
    messages: list[Message] = []
    for reply in replies:
        last = messages[-1] if messages else None
        joined = f"{last.text}{PART_SEPARATOR}{reply.text}" if last else ""
        if (
            last is not None
            and not last.choices
            and last.attachment is None
            and reply.attachment is None
            and len(joined) <= TELEGRAM_MESSAGE_LIMIT
        ):
            messages[-1] = Message(joined, reply.choices)
        else:
            messages.append(Message(reply.text, reply.choices, reply.attachment))
    return messages
