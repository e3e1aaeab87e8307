"""The subject in the client's word: the substance or behaviour a reply names, made fit for a
sentence ("mostly the cans tbh" -> "drinking", "gear. heroin" -> "heroin", "the pokies" ->
"gambling"), and its family, so information offers match the client's substance.

The lexicon is subjects.yaml beside this file. Names are matched as phrases of up to three
words, as the singular of a plural ("pints"), and with typos (rapidfuzz, words of five letters
or more, so "coke" never matches "cake"). A name after "not", "no" or "dont" does not count
("no not weed. drinking"). Slang that is also an ordinary word ("k", "gear", "ice") makes the
subject unsure: the engine asks to confirm. When nothing in the lexicon matches, a short reply
(three words at most, not a non-answer) is taken as the client's own noun phrase; a longer one
gives None, never a sentence.

Measured on the held-out replies in data/subjects_heldout.yaml by `bench_subjects`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import inflect
import yaml
from rapidfuzz import fuzz, process

from dialogs.understanding.reflect import PRONOUNS, SPELLINGS, is_non_answer
from dialogs.understanding.types import Subject

LEXICON_PATH: Final = Path(__file__).with_name("subjects.yaml")
HELDOUT_PATH: Final = Path(__file__).parent / "data" / "subjects_heldout.yaml"
MAX_WORDS: Final = 3  # a subject is a word or a short phrase, never a sentence
FUZZY_MIN_LENGTH: Final = 5
FUZZY_CUTOFF: Final = 85.0
LONG_REPLY: Final = 15  # words: a subject named in passing in a reply this long is unsure

_NEGATORS: Final = frozenset(
    {"not", "no", "dont", "don't", "never", "isnt", "isn't", "aint", "without", "nothing"}
)
_NOT_THE_POINT = re.compile(
    r"\b(?:not\s+(?:really\s+)?(?:it|the\s+(?:problem|point|issue|thing))|that'?s\s+not\s+it)\b"
)
# Short replies that are not a subject even though they are not non-answers.
_NOT_A_SUBJECT: Final = frozenset(
    {
        "everything",
        "anything",
        "stuff",
        "things",
        "it",
        "that",
        "this",
        "life",
        "me",
        "myself",
        "help",
        "hello",
        "hi",
        "hey",
        "bye",
        "stop",
        "why",
        "what",
        "lol",
        "no",
        "yes",
        "nope",
        "none",
        "dunno",
        "thanks",
    }
)
_FILLERS: Final = frozenset(
    {"tbh", "lol", "honestly", "mostly", "mainly", "just", "probably", "obv", "obviously"}
    | {"i", "guess", "suppose", "think", "like", "um", "erm", "really", "basically", "ngl"}
    | {"maybe", "prob", "probs", "haha", "lmao", "mate", "the", "a", "bit", "of", "some"}
)
_WORD = re.compile(r"[a-z0-9][a-z0-9'’-]*|[.,;:!?\n]+")  # noqa: RUF001
_BREAK: Final = "|"  # a clause boundary among the tokens
# Words that name a kind of thing rather than the thing: "painkillers. codeine" -> "codeine".
_GENERIC: Final = frozenset(
    {"painkillers", "opioids", "opiates", "drugs", "benzos", "psychedelics", "pills", "alcohol"}
)


@dataclass(frozen=True)
class Entry:
    word: str
    family: str


@dataclass(frozen=True)
class Lexicon:
    names: dict[str, Entry]  # name (lower case, single spaces) -> entry
    unsure: frozenset[str]  # names that are also ordinary words or other slang
    family_words: dict[str, str]  # family -> its plain word ("alcohol" -> "drinking")
    words: dict[str, Entry]  # the bot's word -> entry
    fuzzy_names: tuple[str, ...]  # names long enough to match with a typo


@cache
def lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    names: dict[str, Entry] = {}
    unsure: set[str] = set()
    words: dict[str, Entry] = {}
    for item in data["subjects"]:
        entry = Entry(word=str(item["word"]), family=str(item["family"]))
        words.setdefault(entry.word, entry)
        for name in item["names"]:
            names.setdefault(" ".join(str(name).lower().split()), entry)
        unsure.update(" ".join(str(n).lower().split()) for n in item.get("unsure", ()))
    family_words = {str(k): str(v) for k, v in data["families"].items()}
    fuzzy = tuple(n for n in names if len(n.replace(" ", "")) >= FUZZY_MIN_LENGTH)
    return Lexicon(names, frozenset(unsure), family_words, words, fuzzy)


@cache
def _inflect() -> inflect.engine:
    return inflect.engine()


def _singular(word: str) -> str | None:
    if len(word) < 4 or not word.endswith("s"):
        return None
    single = _inflect().singular_noun(word)
    return single if isinstance(single, str) and single != word else None


def _tokens(text: str) -> list[str]:
    """Words, with a _BREAK where punctuation ends a clause."""
    out: list[str] = []
    for w in _WORD.findall(text.casefold()):
        token = w.replace("’", "'") if w[0].isalnum() else _BREAK  # noqa: RUF001
        if token != _BREAK or (out and out[-1] != _BREAK):
            out.append(token)
    return out


def _words(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t != _BREAK]


@dataclass(frozen=True)
class _Match:
    start: int
    entry: Entry
    name: str


def _lookup(phrase: str, lex: Lexicon) -> tuple[Entry, str] | None:
    if phrase in lex.names:
        return lex.names[phrase], phrase
    words = phrase.split()
    single = _singular(words[-1])
    if single:
        plural_free = " ".join([*words[:-1], single])
        if plural_free in lex.names:
            return lex.names[plural_free], plural_free
    fuzzy_ok = all(len(w) >= 4 for w in words) and phrase not in SPELLINGS
    if fuzzy_ok and len(phrase.replace(" ", "")) >= FUZZY_MIN_LENGTH:
        found = process.extractOne(
            phrase, lex.fuzzy_names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        # A typo keeps its first letter: "alcohal" is alcohol, "reading" is not trading.
        if found is not None and len(found[0].split()) == len(words) and found[0][0] == phrase[0]:
            return lex.names[found[0]], found[0]
    return None


def _matches(tokens: list[str], lex: Lexicon) -> list[_Match]:
    found: list[_Match] = []
    taken: set[int] = set()
    for size in (3, 2, 1):
        for start in range(len(tokens) - size + 1):
            span = set(range(start, start + size))
            if span & taken or _BREAK in tokens[start : start + size]:
                continue
            hit = _lookup(" ".join(tokens[start : start + size]), lex)
            if hit is None:
                continue
            taken |= span
            before = tokens[max(0, start - 2) : start]
            if _BREAK in before:
                before = before[before.index(_BREAK) + 1 :]
            if _NEGATORS & set(before):
                continue
            found.append(_Match(start, hit[0], hit[1]))
    return sorted(found, key=lambda m: m.start)


def _inflected(word: str) -> tuple[str, ...]:
    """The forms a verb a client names takes in the lexicon ("drink" -> "drinking")."""
    return (word + "ing", word[:-1] + "ing", word + "s", word + word[-1:] + "ing")


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _fallback(tokens: list[str], text: str) -> Subject | None:
    """The client's own short noun phrase, pronouns shifted ("my ex" -> "your ex")."""
    if is_non_answer(text):
        return None
    tokens = _words(tokens)
    words = [w for w in tokens if w not in _FILLERS or w in ("i",)]
    if not words or len(words) > MAX_WORDS or len(tokens) > MAX_WORDS + 2:
        return None
    if any(w in _NOT_A_SUBJECT or w in _NEGATORS for w in words):
        return None
    if words[0] in ("i", "im", "i'm", "ive", "i've", "you", "u", "it", "its", "it's"):
        return None  # the start of a sentence, not the name of a thing
    shifted = [PRONOUNS.get(w, SPELLINGS.get(w, w)) for w in words]
    phrase = " ".join(shifted)
    if len(phrase) < 2 or not any(c.isalpha() for c in phrase):
        return None
    return Subject(word=phrase, sure=shifted == words and len(words) == 1 and len(phrase) >= 3)


def find_subject(text: str) -> Subject | None:
    """The substance or behaviour `text` names, in a word fit for a sentence, or None."""
    if not text or not text.strip():
        return None
    lex = lexicon()
    tokens = _tokens(text)
    matches = _matches(tokens, lex)
    if not matches:
        return _fallback(tokens, text)
    by_family: dict[str, list[_Match]] = {}
    for match in matches:
        by_family.setdefault(match.entry.family, []).append(match)
    words = []
    sure = True
    for family_name, hits in by_family.items():
        distinct = list(dict.fromkeys(m.entry.word for m in hits))
        plain = lex.family_words.get(family_name)
        specific = [w for w in distinct if w not in _GENERIC]
        if len(distinct) == 1:  # in a list of two, each keeps the client's own name ("ket")
            theirs = own_name(hits[0].name) if len(by_family) > 1 and len(hits) == 1 else None
            mine = theirs is None or distinct[0] in _inflected(theirs)  # "drink": "drinking"
            words.append(distinct[0] if mine else str(theirs))
        elif plain in distinct:
            words.append(plain)
        elif len(specific) == 1:
            words.append(specific[0])
        else:
            words.append(plain if plain and plain != "it" else distinct[0])
            sure = sure and plain is not None and plain != "it"
        # Unsure slang is settled by a plain name beside it ("gear. heroin").
        if all(m.name in lex.unsure for m in hits):
            sure = False
    if len(words) > 2:
        sure = False
    if _NOT_THE_POINT.search(" ".join(tokens)) or len(_words(tokens)) > LONG_REPLY:
        sure = False
    return Subject(word=_and(words), sure=sure)


OWN_NAME_MIN: Final = 3  # letters: "h" is no word to use in a sentence
MISSPELLING: Final = 80.0  # similarity to the lexicon's word above which a name is a typo of it


def own_name(text: str) -> str | None:
    """The client's own single-word name for a substance, when that is all they wrote and it
    fits in a sentence as it is: "gear", "smack", "charlie", "bud" stay theirs; a typo of the
    plain word ("heroine"), a plural ("the pokies", "cans") or a letter ("h") does not."""
    words = [w for w in _words(_tokens(text)) if w not in _FILLERS]
    if len(words) != 1:
        return None
    name = words[0]
    entry = lexicon().names.get(name)
    if entry is None or len(name) < OWN_NAME_MIN or name == entry.word:
        return None
    if name.endswith("s") and not name.endswith("ss"):
        return None
    return None if fuzz.ratio(name, entry.word) >= MISSPELLING else name


def family(word: str) -> str | None:
    """The family of a subject word or name ("drinking" -> "alcohol", "ket" -> "dissociatives");
    for "weed and drinking", the first one's. None when it is not in the lexicon."""
    found = families(word)
    return found[0] if found else None


def families(word: str) -> tuple[str, ...]:
    """Every family a subject word names, in order ("weed and drinking" -> cannabis, alcohol)."""
    lex = lexicon()
    key = " ".join(word.casefold().split())
    if key in lex.words:
        return (lex.words[key].family,)
    if key in lex.names:
        return (lex.names[key].family,)
    return tuple(dict.fromkeys(m.entry.family for m in _matches(_tokens(key), lex)))


@dataclass(frozen=True)
class SubjectScore:
    total: int
    correct: int  # the right word, or None where none was expected
    sure_agrees: int  # of the correct ones with a word, `sure` as labelled
    with_word: int  # correct ones with a word
    misses: tuple[tuple[str, str | None, str | None], ...]  # (text, expected, got)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0

    @property
    def sure_accuracy(self) -> float:
        return self.sure_agrees / self.with_word if self.with_word else 1.0


def score_subjects(labelled: Iterable[dict[str, Any]]) -> SubjectScore:
    total = correct = sure_agrees = with_word = 0
    misses = []
    for item in labelled:
        total += 1
        expected = item.get("word")
        got = find_subject(str(item["text"]))
        word = got.word if got else None
        if word == expected:
            correct += 1
            if got is not None:
                with_word += 1
                sure_agrees += got.sure == bool(item.get("sure", True))
        else:
            misses.append((str(item["text"]), expected, word))
    return SubjectScore(total, correct, sure_agrees, with_word, tuple(misses))


def bench_subjects(path: Path = HELDOUT_PATH) -> SubjectScore:
    """Subject extraction on the held-out replies (for bench/understanding.py)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return score_subjects(data["replies"])


def print_subject_bench(path: Path = HELDOUT_PATH) -> SubjectScore:
    score = bench_subjects(path)
    print(f"subjects ({path.name}): {score.correct}/{score.total} right, {score.accuracy:.2f}")
    print(f"  sure/unsure as labelled: {score.sure_agrees}/{score.with_word}")
    for text, expected, got in score.misses:
        print(f"  miss: {text!r}: expected {expected!r}, got {got!r}")
    return score
