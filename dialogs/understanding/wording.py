"""The client's kept words as the templates reflect them: paraphrased in the bot's voice
(`said`), and the parts of life they touch (`touched`), never the messages pasted whole."""

from __future__ import annotations

import re
from functools import lru_cache

from dialogs.understanding.areas import life_areas
from dialogs.understanding.reflect import paraphrase

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


_MARKUP = re.compile(r"<[^>]*>|\{[{%#].*?[}%#]\}")  # tags and template syntax: not words


@lru_cache(maxsize=4096)
def _paraphrase(text: str) -> str | None:
    return paraphrase(_MARKUP.sub(" ", text))


def area_words(areas: tuple[str, ...]) -> str | None:
    """Life areas as a template names them: "sleep, money and the law"."""
    named = [AREA_WORDS.get(area, area) for area in areas]
    if not named:
        return None
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


@lru_cache(maxsize=4096)
def _areas(text: str) -> str | None:
    return area_words(life_areas(text))


def said(words: dict[str, str]) -> dict[str, str | None]:
    """Each kept answer as a short paraphrase, or None where there is nothing to reflect
    ("idk", "nothing", a sentence that will not shorten)."""
    return {key: _paraphrase(text) for key, text in words.items()}


def touched(words: dict[str, str]) -> dict[str, str | None]:
    """Each kept answer's life areas in words ("sleep, money and the law"), or None."""
    return {key: _areas(text) for key, text in words.items()}
