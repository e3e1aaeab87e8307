"""The client's kept words as the templates reflect them: paraphrased in the bot's voice
(`said`), and the parts of life they touch (`touched`), never the messages pasted whole."""

from __future__ import annotations

import re
from functools import lru_cache

from dialogs.understanding.areas import life_areas
from dialogs.understanding.reflect import own_words, paraphrase
from dialogs.understanding.themes import themes

AREA_WORDS = {  # how a template names a life area
    "sleep": "sleep",
    "money": "money",
    "work": "work",
    "family": "family",
    "friends": "friendships",
    "mood": "mood",
    "health": "health",
    "safety": "safety",
    "law": "the law",
}


class Gist(str):
    """A paraphrase, with the shape a template needs to fit it into a sentence: "clause" ("you
    sleep badly", "your sister called back"), "to" ("to spend less"), "bare" (a verb without
    its "to": "not feel rough on Sundays", "just sleep properly"), "if" ("if a friend got hurt")
    or "phrase" ("the money", "weekends mostly", "planning it"); "quote": the client's own
    words in quotation marks, where the bot's voice could not say them without sounding like an
    order ("“stop drinking on weeknights”"). `also`: a clause a wish came with, said apart
    ("to cut down" and "your girlfriend would be happy"), so it is not heard as the wish."""

    shape: str
    also: str | None = None


AIMS = frozenset({"hopes"})  # answers to "what do you want?": a bare verb is a wish


_SUBJECTS = frozenset(
    {"you", "you're", "you've", "you'd", "you'll", "it", "it's", "they", "they're", "there"}
    | {"there's", "that", "that's", "this", "he", "she", "he's", "she's", "we"}
)
# Words that start a clause only when a verb follows ("your mate carries", "someone called").
_DETERMINERS = frozenset(
    {"your", "the", "a", "an", "his", "her", "their", "our", "someone", "everyone", "people"}
    | {"everybody", "nobody", "somebody"}
)
_VERB = re.compile(
    r"(?:is|are|was|were|has|have|had|does|did|do|can|can't|could|will|won't|would|got|gets|"
    r"goes|went|came|comes|made|makes|carries|helps|takes|keeps|wants|said|says|thinks|feels|"
    r"knows|crept|nearly|never|always|still|\w{3,}ed)"
)
# Verbs that open a wish without its "to" ("just not feel rough", "have a few nights off").
_BARE_VERBS = frozenset(
    {"feel", "be", "have", "get", "stop", "wake", "spend", "sleep", "drink", "use", "smoke"}
    | {"cut", "keep", "lose", "save", "stay", "see", "go", "do", "make", "take", "enjoy", "look"}
)
_NOT_VERBS = frozenset({"weed", "speed", "need", "bleed", "greed", "breed", "married", "tired"})


def shape(text: str) -> str:
    """The shape of a paraphrase (see Gist)."""
    words = text.replace(",", " ").split()
    first = words[0] if words else ""
    if first == "to":
        return "to"
    if first in ("if", "when", "unless", "once"):
        return "if"
    lead = 0
    while lead < min(2, len(words) - 1) and words[lead] in ("just", "not", "never"):
        lead += 1
    if lead and words[lead] == "to":  # "not to be wrecked on Mondays"
        return "to"
    if words and words[lead] in _BARE_VERBS:
        return "bare"
    if first in _SUBJECTS:
        return "clause"
    if first in _DETERMINERS and any(
        _VERB.fullmatch(w) and w not in _NOT_VERBS for w in words[1:4]
    ):
        return "clause"
    return "phrase"


_MARKUP = re.compile(r"<[^>]*>|\{[{%#].*?[}%#]\}")  # tags and template syntax: not words


@lru_cache(maxsize=4096)
def _paraphrase(text: str, aim: bool = False) -> Gist | None:
    plain = _MARKUP.sub(" ", text)
    said = paraphrase(plain, aim=aim)
    if said is None:
        quoted = own_words(plain) if aim else None
        if quoted is None:
            return None
        gist = Gist(f"“{quoted}”")
        gist.shape = "quote"
        return gist
    wish, _, also = said.partition(" and ")
    wish = wish.rstrip(",")
    if aim and also and shape(also) == "clause" and shape(wish) != "clause":
        gist = Gist(wish)  # a hope, then what rides on it: two things, heard apart
        gist.shape, gist.also = shape(wish), also
        return gist
    gist = Gist(said)
    gist.shape = shape(said)
    return gist


def area_words(areas: tuple[str, ...]) -> str | None:
    """Life areas as a template names them: "sleep, money and the law"."""
    named = [AREA_WORDS.get(area, area) for area in areas]
    if not named:
        return None
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


@lru_cache(maxsize=4096)
def _areas(text: str) -> str | None:
    """The life areas an answer touches without naming them: "money. and my missus doesnt
    know" reaches into family; money they said themselves, and hearing it back is an echo."""
    plain = text.casefold()
    unnamed = tuple(
        area
        for area in life_areas(text)
        if not re.search(rf"\b{re.escape(AREA_WORDS.get(area, area))}\b", plain)
    )
    return area_words(unnamed)


def said(words: dict[str, str]) -> dict[str, Gist | None]:
    """Each kept answer as a short paraphrase, or None where there is nothing to reflect
    ("idk", "nothing", a sentence that will not shorten)."""
    return {key: _paraphrase(text, key in AIMS) for key, text in words.items()}


@lru_cache(maxsize=4096)
def _own(text: str) -> str:
    return own_words(_MARKUP.sub(" ", text)) or text


def own(words: dict[str, str]) -> dict[str, str]:
    """Each kept answer in the client's own words, respelled and without the fillers ("maybe",
    "tbh", "i guess") and the full stops between its parts, for quoting back to them."""
    return {key: _own(text) for key, text in words.items()}


def touched(words: dict[str, str]) -> dict[str, str | None]:
    """Each kept answer's life areas in words ("sleep, money and the law"), or None."""
    return {key: _areas(text) for key, text in words.items()}


@lru_cache(maxsize=4096)
def _themes(text: str) -> tuple[str, ...]:
    return tuple(theme.kind for theme in themes(text))


def themed(words: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Each kept answer's themes (what lies under it: "relief", "routine", ...), by kind."""
    return {key: _themes(text) for key, text in words.items()}
