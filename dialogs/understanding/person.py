"""Asking for a person: "can i talk to a real person", "is this a bot", "i want a human".

The topic classifier already knows questions about the bot itself (`Topic.THE_BOT`, learnt from
labelled data with the rest); asking for a person is one of those, whether it is put as a
question or not. Two small checks keep it to that: the text names a person in some spelling,
or asks about the bot by name ("what can you do" is about the bot, and gets its answer, not an
offer; "ur just a bot" is frustration, met as such); and it does not say it does not want one.
A feeling ("im such a bad person") is never a request."""

from __future__ import annotations

import re

from dialogs.understanding.normalise import normalise
from dialogs.understanding.topic import read_topic
from dialogs.understanding.types import Intent, Topic, Understanding

# A person, in some spelling; "someone" alone is not one ("i just want someone to talk to" is
# met by listening), "someone real" is.
_PERSON = re.compile(
    r"\b(?:person|persn|prson|peson|human|humans|humn|humna|hooman|counsell?or|councell?or|"
    r"counselling|staff|worker|real|actual|actually|(?:anyone|anybody|any1) (?:there|here))\b"
)
_BOT = re.compile(r"\b(?:bot|robot|ai|machine|computer|program)\b")
_DOES_NOT_WANT = re.compile(
    r"\b(?:dont|do not|didnt|never|no need to|not)\b(?: \w+){0,2} "
    r"(?:want|wanna|need|talk|speak|chat|ask)"
)


def might_ask_for_person(text: str) -> bool:
    """A cheap first look (no classifier): the text names a person or the bot at all."""
    plain = normalise(text)
    return bool(_PERSON.search(plain) or _BOT.search(plain))


def asks_for_person(text: str, understood: Understanding) -> bool:
    """Whether the text asks for a person, or whether one is there (`understood` is the
    understanding step's reading of it)."""
    plain = normalise(text)
    if understood.intent is Intent.FEELING:  # "i feel like a bad person" is met as a feeling
        return False
    # The bot named, not a person: only a question about it ("is this a bot"); "ur just a bot"
    # is frustration, met as such.
    named = _PERSON.search(plain) or (understood.intent is Intent.QUESTION and _BOT.search(plain))
    if not named or _DOES_NOT_WANT.search(plain):
        return False
    asked = understood.intent is Intent.QUESTION and understood.topic is not None
    topic = understood.topic if asked else read_topic(plain)
    return topic is Topic.THE_BOT
