"""A typed answer to a closed question, read with rules over the normalised text.

"Safer" wins wherever it stands ("not the using. just safer"). Otherwise the first cue in reading
order decides, the longest phrase first at each word, so "not sure" is unsure, "no idea" is unsure,
"no lol" is no, "yeah nah" is no, "what? no" is no, and "yes but only on weekdays" is yes (the
clause after "but" is only read when the first has no cue)."""

from __future__ import annotations

from dialogs.understanding.normalise import clauses, normalise, words
from dialogs.understanding.types import Polarity

_SAFER_WORDS = frozenset({"safe", "safer", "safely", "safest", "safety", "careful", "carefully"})
_SAFER_PHRASES = (
    ("harm", "reduction"),
    ("reduce", "the", "harm"),
    ("less", "risky"),
    ("less", "dangerous"),
    ("less", "risk"),
)
_NEGATIONS = frozenset({"not", "never", "no", "dont", "isnt", "wont"})

_PHRASES: dict[tuple[str, ...], Polarity] = {}


def _add(polarity: Polarity, *phrases: str) -> None:
    for phrase in phrases:
        _PHRASES[tuple(phrase.split())] = polarity


_add(
    Polarity.UNSURE,
    "not sure", "not too sure", "not certain", "unsure", "im not sure", "idk", "idek", "dunno",
    "dno", "duno", "i dont know", "dont know", "no idea", "no clue", "maybe", "mayb", "perhaps",
    "possibly", "kinda", "kind of", "sort of", "sorta", "a bit", "a little", "could be", "might",
    "depends", "it depends", "hard to say", "torn", "two minds", "bit of both", "yes and no",
    "half and half", "50/50", "fifty fifty", "unsure",
)  # fmt: skip
_add(
    Polarity.NO,
    "no", "nah", "nope", "naw", "na", "n", "nty", "nop", "never", "not really", "not rly",
    "not realy", "not at all", "not now", "not interested", "not at the moment", "not for me",
    "no way", "yeah nah", "yeah no", "ye nah", "dont want", "i dont want", "dont think so",
    "i dont think so", "hell no", "not ok", "not okay", "no thanks", "no thank you",
)  # fmt: skip
_add(
    Polarity.YES,
    "yes", "yeah", "yea", "yeh", "yep", "yup", "ya", "yh", "ye", "yas", "yess", "yesss", "y",
    "ok", "okay", "oki", "okie", "k", "kk", "sure", "alright", "aight", "fine", "definitely",
    "deffo", "def", "absolutely", "of course", "course", "please", "go on", "go for it",
    "why not", "i would", "id like", "i think so", "think so", "i guess so", "guess so",
    "want to", "i want to", "i do", "sounds good", "100%", "yes please", "nah yeah",
)  # fmt: skip
_LONGEST = max(len(phrase) for phrase in _PHRASES)
_EMOJI = {"👍": Polarity.YES, "👌": Polarity.YES, "✅": Polarity.YES, "👎": Polarity.NO}
_EMOJI.update({"❌": Polarity.NO, "🤷": Polarity.UNSURE})


def _safer(found: list[str]) -> bool:
    for i, word in enumerate(found):
        if word in _SAFER_WORDS and not (i and found[i - 1] in _NEGATIONS):
            return True
    return any(
        tuple(found[i : i + len(phrase)]) == phrase
        for phrase in _SAFER_PHRASES
        for i in range(len(found))
    )


def _first_cue(found: list[str]) -> Polarity | None:
    for start in range(len(found)):
        for size in range(min(_LONGEST, len(found) - start), 0, -1):
            polarity = _PHRASES.get(tuple(found[start : start + size]))
            if polarity is not None:
                return polarity
    return None


def read_polarity(text: str) -> Polarity | None:
    """Yes, no, not sure or safer, if the text reads as one; None otherwise."""
    plain = normalise(text)
    if _safer(words(plain)):
        return Polarity.SAFER
    for clause in clauses(plain):
        polarity = _first_cue(clause)
        if polarity is not None:
            return polarity
    return next((p for symbol, p in _EMOJI.items() if symbol in plain), None)
