"""A ruler answer (0 to 10) typed as digits or words.

Rules, in order: a percentage is read on the ruler (80% -> 8, 100% -> 10); "50/50", "half" and
"fifty fifty" are 5; "not at all" is 0 and "totally"/"completely" 10; a range ("5 or 6", "4-5",
"between 3 and 4", "six or seven") reads as its LOWER end, and a decimal is rounded down
("6.5" -> 6): the person said at least that much, and the follow-up asks what makes it that and
not lower, never why it is not higher. Otherwise the first number from 0 to 10 in the text
("like a 4", "4/10", "prob 7", "nothing its a 9 fine"); a number above 10 is not a score."""

from __future__ import annotations

import re

from dialogs.understanding.normalise import normalise, words

_NUMBER_WORDS = {
    "zero": 0, "nought": 0, "nil": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_PERCENT = re.compile(r"(\d{1,3})\s*(?:%|percent|per cent)")
_HALF = re.compile(r"\b(?:50 ?/ ?50|fifty[ -]fifty|half|halfway|in the middle)\b")
_NONE_AT_ALL = re.compile(r"\bnot at all\b")
_FULL = re.compile(r"\b(?:totally|completely|fully|absolutely|massively)\b")
_TENTHS = re.compile(r"^(\d+(?:\.\d+)?)/10$")


def _number(word: str) -> int | None:
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    tenths = _TENTHS.match(word)
    value = tenths.group(1) if tenths else word.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if 0 <= number <= 10 else None


def read_score(text: str) -> int | None:
    plain = normalise(text)
    percent = _PERCENT.search(plain)
    if percent:
        return min(10, round(int(percent.group(1)) / 10))
    if _HALF.search(plain):
        return 5
    if _NONE_AT_ALL.search(plain):
        return 0
    numbers = [n for n in map(_number, words(plain.replace("-", " - "))) if n is not None]
    if numbers:
        first = numbers[0]
        # "5 or 6", "4-5", "between 3 and 4": a range is read as its lower end.
        if len(numbers) > 1 and re.search(r"\b(?:or|to|and)\b|-", plain):
            return min(numbers[0], numbers[1])
        return first
    if _FULL.search(plain):
        return 10
    return None
