"""Reading typed answers where a button was offered: an option's number, its label, or a
ruler score written as "7", "7/10" or "about a 6"."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\d+")
_PUNCTUATION = re.compile(r"[^\w\s]")


def _normal(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


def match_choice(text: str, options: list[tuple[str, str]]) -> str | None:
    """The key of the option `text` names, by number (1-based), key, label, or a label's start."""
    typed = _normal(text)
    if not typed:
        return None
    if typed.isdigit():
        index = int(typed) - 1
        return options[index][0] if 0 <= index < len(options) else None
    for key, label in options:
        if typed in (_normal(key), _normal(label)):
            return key
    # "not" for "Not sure", or "yes please" for "Yes": one option, named by its start.
    starts = {
        key
        for key, label in options
        if _normal(label).startswith(typed + " ") or typed.startswith(_normal(label) + " ")
    }
    return starts.pop() if len(starts) == 1 else None


def match_score(text: str, top: int = 10) -> int | None:
    """A single 0..top number in `text` ("7/10" counts as 7); None if there is not exactly one."""
    numbers = [int(n) for n in _NUMBER.findall(text)]
    if len(numbers) == 2 and numbers[1] == top and "/" in text:
        numbers = numbers[:1]
    if len(numbers) != 1 or not 0 <= numbers[0] <= top:
        return None
    return numbers[0]
