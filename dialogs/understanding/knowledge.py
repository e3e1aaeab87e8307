"""The knowledge base: one sourced template a question topic, in prompts/<locale>/knowledge/.
The engine says `KNOWLEDGE[topic]` for a question it can answer, and `UNKNOWN` (an honest "I
don't know that one", with where to ask and /sos) for one it cannot. Each template names its
sources in a Jinja comment under its MI code."""

from __future__ import annotations

from typing import Final

from dialogs.understanding.types import Topic

KNOWLEDGE: Final[dict[Topic, str]] = {
    Topic.NALOXONE: "knowledge/naloxone",
    Topic.OVERDOSE_RESPONSE: "knowledge/overdose_response",
    Topic.USING_ALONE: "knowledge/using_alone",
    Topic.DRUG_CHECKING: "knowledge/drug_checking",
    Topic.MIXING: "knowledge/mixing",
    Topic.ALCOHOL_WITHDRAWAL: "knowledge/alcohol_withdrawal",
    Topic.BENZO_WITHDRAWAL: "knowledge/benzo_withdrawal",
    Topic.CANNABIS_WITHDRAWAL: "knowledge/cannabis_withdrawal",
    Topic.STIMULANTS_SLEEP: "knowledge/stimulants_sleep",
    Topic.GAMBLING_LIMITS: "knowledge/gambling_limits",
    Topic.PRIVACY: "knowledge/privacy",
    Topic.THE_BOT: "knowledge/the_bot",
}
UNKNOWN: Final = "knowledge/unknown"


def answer_template(topic: Topic | None) -> str:
    """The template that answers a question about `topic`, or UNKNOWN."""
    return KNOWLEDGE.get(topic, UNKNOWN) if topic is not None else UNKNOWN
