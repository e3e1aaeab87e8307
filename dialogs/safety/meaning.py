"""What a matched danger phrase means where it stands: said of oneself now, or negated, asked
about, feared, or told of someone else in the past.

People who talk about using more safely use the words of danger all the time: as negations
("no way would i hurt myself"), reasons ("bc i dont wanna die"), questions ("what do u do if
ur mate ods"), worries ("scared ill have a fit if i stop") and stories ("my cousin died of an
overdose"). The rules find the phrase; this reads the words around it, inside its own clause,
and says how to take it. It never overrules a signal whose meaning *is* a negation ("i dont
want to wake up tomorrow", "i dont see any reason to keep going"): only the signals listed in
rules.yaml under `negatable` can be negated, and only overdose and medical signals can be
read as a question or a worry (a question about suicide is still met as a possible sign)."""

from __future__ import annotations

import re
from enum import StrEnum

BOUNDARY = "|"  # the clause boundary normalise() leaves where punctuation was


class Reading(StrEnum):
    AS_SAID = "as_said"  # the danger is the speaker's, now: the rule's category stands
    NEGATED = "negated"  # "i would never hurt myself", "i dont wanna die"
    ASKED = "asked"  # "what do i do if my mate ods": information, not an emergency
    FEARED = "feared"  # "scared ill overdose", "so i dont have a fit": a wish to stay safe
    STORY = "story"  # someone else, in the past: "my uncle died of an overdose in 2019"


# A negator, then only the small words that can stand between it and what it negates.
_NEGATOR = re.compile(
    r"\b(?:not|never|no way|no chance|no intention of|no plans? to|nor|without|no one|nobody"
    r"|noone)\b"
)
_BRIDGE = frozenset(
    [
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "want",
        "wanted",
        "wanting",
        "to",
        "going",
        "would",
        "will",
        "could",
        "ever",
        "even",
        "really",
        "actually",
        "at",
        "all",
        "be",
        "am",
        "is",
        "are",
        "have",
        "had",
        "do",
        "did",
        "does",
        "plan",
        "planning",
        "plans",
        "intend",
        "intending",
        "trying",
        "try",
        "thinking",
        "of",
        "about",
        "gonna",
        "wanna",
        "feel",
        "like",
        "just",
        "gon",
        "a",
        "an",
        "any",
        "ever",
        "said",
        "say",
        "says",
        "saying",
        "mean",
        "meant",
        "is",
        "are",
        "had",
        "thoughts",
        "thought",
        "go",
        "end",
        "up",
        "ending",
        "having",
        "get",
        "getting",
    ]
)
# The bot's own question quoted back: "why did u ask if i want to kill myself".
_QUOTED = re.compile(r"\b(?:ask|asked|asking|asks) (?:me )?(?:if|whether)\b")
_CONJUNCTION = re.compile(r"\b(?:but|and|so|because|though|although|cause|except|yet|or|then)\b")

# Words that make an overdose or medical phrase hypothetical: a question, a condition.
_ASKED = re.compile(
    r"\b(?:if|in case|what if|whether|what happens|how do (?:you|i|we|people)|how can (?:you|i)"
    r"|how to|what to do|what do (?:you|i|we|people) do (?:if|when)|when (?:someone|somebody|a "
    r"person|people|you|your|a friend|a mate|a mates|friends|mates)|can (?:you|someone|people|u)"
    r"|could (?:you|someone|i)|is it possible|signs of|how (?:long|much|many|likely)|risk of|"
    r"chances? of|likely to|does it|do you|is it|will i|would i|can i|could i|what are the|"
    r"what is the|how would|you (?:go|get|can|could|end up))\b"
    r"|^(?:is|are|does|do|can|could|would|should|how|what|why|when|will)\b"
    r"(?! (?:he|she|they|my|this|that|it|someone|somebody|him|her)\b)"
)
_FEARED = re.compile(
    r"\b(?:scared|afraid|worried|worry|worries|terrified|fear|fears|frightened|nervous|paranoid|"
    r"anxious|avoid|avoiding|prevent|preventing|so i do not|so i will not|so i never|so that i "
    r"do not|in order not to|not to|risk|careful|safer|safely|do not want to|would not want to|"
    r"never want to|last thing i want|cannot afford to|can not afford to)\b"
)
# Films, books and the news: someone else's story however it is told.
_MEDIA = re.compile(
    r"\b(?:doc|docs|documentary|film|movie|show|series|book|novel|podcast|episode|article|news|"
    r"chapter|true crime|video|tiktok|youtube)\b"
)
_WANTS_TO_STOP = re.compile(r"\b(?:stop|stopping|quit|quitting)\b")
# Something happening now, to anyone: keeps an overdose or medical phrase an emergency.
_NOW = re.compile(
    r"\b(?:right now|now|at the moment|as we speak|currently|help me|please help|hurry|quick|"
    r"asap|emergency|what (?:do|should|can) i do(?! if| when| in case))\b"
)
_LATELY = re.compile(r"\b(?:just|is not|are not|will not|cannot|tonight|today)\b")
# Someone other than the speaker, and a mark of the past: a story, not a crisis.
_OTHER = re.compile(
    r"\b(?:my|his|her|their|our|a) (?:mate|mates|friend|friends|cousin|brother|sister|uncle|aunt"
    r"|auntie|dad|mum|mom|father|mother|nan|gran|grandad|grandma|granddad|son|daughter|ex|"
    r"partner|boyfriend|girlfriend|flatmate|housemate|neighbour|neighbor|colleague|husband|wife|"
    r"mrs|missus|kid|kids|child|pal|bro|best friend|bestie|buddy|guy|girl|lad|family|relative)\b"
    r"|\b(?:he|she|they|someone|somebody|people|loads of people|a lot of people|best mate)\b"
    r"|\blost (?:my|our|a|his|her)\b"
)
_STORY_PAST = re.compile(
    r"\b(?:died|passed|passed away|funeral|rip|lost (?:him|her|them|my \w+)|nearly (?:went|died)|"
    r"almost (?:went|died)|(?:last|this) (?:week|month|year|summer|winter|spring|christmas)|"
    r"years? ago|months? ago|weeks? ago|a while (?:ago|back)|back in|in (?:19|20)\d\d|when i was"
    r"|used to|had|has had|survived|happened|in (?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december))\b"
)


def read(
    tokens: list[str], first: int, last: int, *, negatable: bool, hypothetical: bool
) -> Reading:
    """How to take the phrase that spans tokens[first:last] (the normalised words, with
    BOUNDARY tokens where punctuation ended a clause). `negatable`: the signal can be negated
    (it names the danger itself). `hypothetical`: an overdose or medical signal, which a
    question, a worry or someone else's past can turn into information."""
    opening = next((i + 1 for i in range(first - 1, -1, -1) if tokens[i] == BOUNDARY), 0)
    closing = next((i for i in range(last, len(tokens)) if tokens[i] == BOUNDARY), len(tokens))
    before = " ".join(tokens[opening:first])
    clause = " ".join(tokens[opening:closing])
    if negatable and (_negated(before) or _QUOTED.search(before)):
        return Reading.NEGATED
    if not hypothetical:
        return Reading.AS_SAID
    if _NOW.search(clause):
        return Reading.AS_SAID
    if _OTHER.search(before) and _STORY_PAST.search(clause) and not _LATELY.search(clause):
        return Reading.STORY
    if _MEDIA.search(before) and not _LATELY.search(clause):
        return Reading.STORY
    if _ASKED.search(before):
        return Reading.ASKED
    if _FEARED.search(before) or _WANTS_TO_STOP.search(_scope(before)):
        return Reading.FEARED
    return Reading.AS_SAID


def _negated(before: str) -> bool:
    """A negator governing what follows: after the clause's last conjunction, with only
    bridge words between it and the phrase ("i would never ever", "no way would i")."""
    scope = _scope(before)
    negators = list(_NEGATOR.finditer(scope))
    if not negators:
        return False
    rest = scope[negators[-1].end() :].split()
    return len(rest) <= 5 and all(word in _BRIDGE for word in rest)


def _scope(before: str) -> str:
    """The words after the clause's last conjunction: what governs the phrase."""
    conjunctions = list(_CONJUNCTION.finditer(before))
    return before[conjunctions[-1].end() :] if conjunctions else before
