"""The entry point: `understand(text, expects=...)` reads one client text, given the kind of
question pending ("text": an open question; "choice": buttons; "scale": a 0-10 ruler)."""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Literal

from dialogs.understanding.areas import life_areas
from dialogs.understanding.classifiers import reader
from dialogs.understanding.intent import read_intent
from dialogs.understanding.normalise import normalise, words
from dialogs.understanding.polarity import read_polarity
from dialogs.understanding.reflect import paraphrase
from dialogs.understanding.score import read_score
from dialogs.understanding.subjects import find_subject
from dialogs.understanding.talk import read_talk
from dialogs.understanding.topic import read_topic
from dialogs.understanding.types import Intent, Talk, Understanding

Expects = Literal["text", "choice", "scale"]
log = logging.getLogger(__name__)

# An answer in its own words: the kinds of intent whose text can carry change or sustain talk.
_OWN_WORDS = frozenset(
    {Intent.ANSWER, Intent.FEELING, Intent.TALK, Intent.ALREADY_TOLD, Intent.CORRECTION}
)
# At a button or ruler question, a yes/no or a number answers it when the text is an answer or
# a non-answer, or is short ("yes?", "like a 4", "ffs no") and does not stop, point back or
# correct ("sorry i meant 6 not 3" stays a correction, with its score).
_POINTING = frozenset({Intent.STOP, Intent.ALREADY_TOLD, Intent.CORRECTION})
# The classifier leans on "not" for corrections ("not coke, ket"); at a ruler "not at all" is a 0.
# A short typed answer there is a correction only with a word that corrects.
_CORRECTING = re.compile(r"\b(?:meant|mean|wrong|change|typo|mistake|actually|not what)\b")
_SHORT_CHOICE, _SHORT_SCALE = 3, 5  # words


def read(text: str, expects: str, subject: str | None = None) -> Understanding:
    """Intent, typed answer, kind of talk and topic (the steps this package learns or rules).
    `subject`: the client's word for what they came about, when the text names nothing: a
    question is then about it ("what does it do to ur sleep if u stop")."""
    plain = normalise(text)
    size = len(words(plain))
    said = read_intent(plain)
    polarity = read_polarity(plain) if expects == "choice" or said == Intent.NON_ANSWER else None
    score = read_score(plain) if expects == "scale" else None
    intent = said
    typed = (polarity if expects == "choice" else None, score if expects == "scale" else None)
    short = size <= (_SHORT_CHOICE if expects == "choice" else _SHORT_SCALE)
    corrects = said == Intent.CORRECTION and _CORRECTING.search(plain)
    if typed != (None, None) and (
        said in (Intent.ANSWER, Intent.NON_ANSWER)
        or (short and not corrects and said not in _POINTING - {Intent.CORRECTION})
    ):
        intent = Intent.ANSWER  # "no lol" at buttons, "like a 4" at a ruler
    own = intent in _OWN_WORDS and said != Intent.NON_ANSWER and size > 1
    talk = read_talk(plain) if own else Talk.NEUTRAL
    about = f"{plain} {normalise(subject)}" if subject else plain
    topic = read_topic(about) if intent == Intent.QUESTION else None
    return Understanding(intent=intent, polarity=polarity, score=score, talk=talk, topic=topic)


def understand(
    text: str, *, expects: Expects | str = "text", subject: str | None = None
) -> Understanding:
    """What a client's text means, `subject` being the word they came about if known. Never
    raises: a text it cannot read is an answer."""
    try:
        text = text if isinstance(text, str) else ""
        named = find_subject(text)
        understood = read(text, expects, subject if named is None else None)
        return dataclasses.replace(
            understood,
            subject=named,
            areas=life_areas(text),
            phrase=paraphrase(text) if understood.intent != Intent.NON_ANSWER else None,
        )
    except Exception as error:  # a client's text must never stop a turn
        log.error("understanding failed: %s", type(error).__name__)
        return Understanding(intent=Intent.ANSWER)


def warm_up() -> None:
    """Learn every classifier now (at start-up) rather than on the first client's text."""
    for task in ("intents", "talk", "topics"):
        reader(task)
    understand("warming up", expects="text")
