"""Asking for a person: "can i talk to a real person", "is this a bot", "i want a human".

The topic classifier already knows questions about the bot itself (`Topic.THE_BOT`, learnt from
labelled data with the rest); asking for a person is one of those, whether it is put as a
question or not. Two small checks keep it to that: the text names a person, or the bot, in
some spelling ("what can you do" is about the bot, and gets its answer, not an offer); and it
does not say it does not want one. A feeling ("im such a bad person") is never a request."""

from __future__ import annotations

import re

from dialogs.understanding.normalise import normalise
from dialogs.understanding.topic import read_topic
from dialogs.understanding.types import Intent, Topic, Understanding

_NAMES_ONE = re.compile(
    r"\b(?:person|persn|prson|peson|human|humans|humn|humna|hooman|someone|some1|sum1|sumone|somebody|"
    r"people|counsell?or|councell?or|counselling|staff|worker|bot|robot|ai|real|actual|"
    r"anyone|any1|anybody)\b"
)
_DOES_NOT_WANT = re.compile(
    r"\b(?:dont|do not|didnt|never|no need to|not)\b(?: \w+){0,2} "
    r"(?:want|wanna|need|talk|speak|chat|ask)"
)


def asks_for_person(text: str, understood: Understanding) -> bool:
    """Whether the text asks for a person, or whether one is there (`understood` is the
    understanding step's reading of it)."""
    plain = normalise(text)
    if understood.intent is Intent.FEELING:  # "i feel like a bad person" is met as a feeling
        return False
    if not _NAMES_ONE.search(plain) or _DOES_NOT_WANT.search(plain):
        return False
    asked = understood.intent is Intent.QUESTION and understood.topic is not None
    topic = understood.topic if asked else read_topic(plain)
    return topic is Topic.THE_BOT
