"""The text as every step reads it: one form for "Don't" (curly or not), "dont" and "DONT",
without control characters, cut to a length no client message needs."""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 2000  # longer texts are read from their start: nothing past this changes a reading

_QUOTES = str.maketrans(  # curly and stray apostrophes and quotes as plain ones
    {"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"'}
)
_WORD = re.compile(r"\d+(?:[.,/]\d+)?%?|[^\W\d_]+")
_CLAUSE = re.compile(r"[.!?;,:\n]+|\bbut\b|\btho\b|\bthough\b")


def normalise(text: str) -> str:
    """Lower case, NFKC, apostrophes dropped ("don't" -> "dont"), controls as spaces, one space."""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])[:MAX_CHARS]
    text = text.translate(_QUOTES).lower().replace("'", "")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def words(plain: str) -> list[str]:
    """Words and numbers of a normalised text ("4/10", "6.5" and "100%" stay whole)."""
    return _WORD.findall(plain)


def clauses(plain: str) -> list[list[str]]:
    """The words of each clause, split at punctuation and at "but": "yes but only on weekdays"
    is the clause "yes", then "only on weekdays"."""
    return [found for part in _CLAUSE.split(plain) if (found := words(part))]


_NEGATORS = frozenset((
    "not", "no", "never", "dont", "doesnt", "didnt", "cant", "cannot", "wont", "isnt", "arent",
    "wasnt", "havent", "hasnt", "aint", "couldnt", "wouldnt", "shouldnt", "nothing", "nobody",
    "without", "nt",
))  # fmt: skip
_SCOPE_END = re.compile(r"[.!?;,:\n]|\b(?:but|tho|though|and|so|because|cos|coz)\b")
NEGATION_SCOPE = 3  # words marked after a negator


def negated(text: str) -> str:
    """The normalised text with up to NEGATION_SCOPE words after a negator ("not", "dont",
    "never", ...) marked "neg_", within its clause: "i dont want to cut down" reads
    "i dont neg_want neg_to neg_cut down", so a word model can tell it from "i want to cut down"."""
    out: list[str] = []
    for part in re.split(f"({_SCOPE_END.pattern})", normalise(text)):
        left = 0
        for word in part.split():
            bare = word.strip('"()[]*-_~')
            if bare in _NEGATORS:
                out.append(word)
                left = NEGATION_SCOPE
            elif left and bare:
                out.append("neg_" + word)
                left -= 1
            else:
                out.append(word)
    return " ".join(out)
