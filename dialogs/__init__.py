"""The conversation engine: flows as data, one shared state machine per flow, per-turn models."""

from dialogs.engine import CONSENT_VERSION, Conversation
from dialogs.events import (
    Attachment,
    AttachmentKind,
    Choice,
    Inbound,
    InboundKind,
    Reply,
    TurnOutcome,
)
from dialogs.flows import FlowError, FlowSet, load_flows

__all__ = [
    "CONSENT_VERSION",
    "Attachment",
    "AttachmentKind",
    "Choice",
    "Conversation",
    "FlowError",
    "FlowSet",
    "Inbound",
    "InboundKind",
    "Reply",
    "TurnOutcome",
    "load_flows",
]
