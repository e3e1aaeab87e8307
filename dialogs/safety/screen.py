"""The safety screen: reads every client text, in every state, before the flows run, and says
whether it signals danger. Pure Python: deterministic, fast, no network.

The text is normalised first (case, accents, leet digits, stretched letters, contractions,
common misspellings, near-miss spellings of key words), ordinary idioms are taken out ("this
craving is killing me", "dying to see the match"), then the rules in rules.yaml run in order of
urgency. A
crisis signal next to words about the past, and none about now, is a `past` mention: a gentle
check, not an alarm."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from dialogs.safety.meaning import BOUNDARY, Reading, read
from dialogs.safety.model import Classifier, labelled_messages, train
from dialogs.yamlfile import load_yaml


class Category(StrEnum):
    SUICIDE = "suicide"  # thoughts of suicide or self-harm
    OVERDOSE = "overdose"  # an overdose or poisoning in progress
    MEDICAL = "medical"  # another medical emergency
    VIOLENCE = "violence"  # violence or abuse, to the client or by them
    PAST = "past"  # a historic mention: a gentle check
    POSSIBLE = "possible"  # a weaker or ambiguous sign: the bot asks directly, no alarm
    INFO = "info"  # a question about an overdose or emergency, not one happening: information


CRISIS = (Category.OVERDOSE, Category.SUICIDE, Category.MEDICAL, Category.VIOLENCE)


@dataclass(frozen=True)
class ScreenResult:
    category: Category
    signal: str  # the name of the rule that matched; never the client's words

    @property
    def alarm(self) -> bool:
        return self.category in CRISIS


# -- normalising -------------------------------------------------------------------------------

MAX_SCREENED = 4000  # characters; longer texts are screened in full, in slices of this size
SLICE_OVERLAP = 300  # so a phrase across two slices is still seen whole
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# Not a multiplier: "4x my normal" stays.
_LEET_IN_WORD = re.compile(r"(?<=[a-z])[013457@$]+|[013457@$]+(?=[a-z])(?!x\b)")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# Letters that look like Latin ones and that accent folding would drop (dotless i, Cyrillic).
_LOOKALIKES = str.maketrans(
    "\u0131\u0456\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0406\u0410\u0415\u041e\u0420\u0421\u0425",
    "iiaeopcyxiaeopcx",
)
_NOT_WORD = re.compile(r"[^a-z0-9'| ]+")
_CLAUSE_END = re.compile(r"[.!?;\n|]+")
_FUZZY_MIN_LENGTH = 5
_FUZZY_CUTOFF = 85

# Whole-token rewrites: contractions, texting spellings and misspellings seen in real messages.
_TOKENS: dict[str, str] = {
    "im": "i am",
    "i'm": "i am",
    "ive": "i have",
    "i've": "i have",
    "id": "i would",
    "i'd": "i would",
    "ill": "i will",
    "i'll": "i will",
    "dont": "do not",
    "don't": "do not",
    "doesnt": "does not",
    "doesn't": "does not",
    "didnt": "did not",
    "didn't": "did not",
    "cant": "cannot",
    "can't": "cannot",
    "cnt": "cannot",
    "wont": "will not",
    "won't": "will not",
    "isnt": "is not",
    "isn't": "is not",
    "arent": "are not",
    "aren't": "are not",
    "wasnt": "was not",
    "wasn't": "was not",
    "werent": "were not",
    "weren't": "were not",
    "wouldnt": "would not",
    "wouldn't": "would not",
    "couldnt": "could not",
    "couldn't": "could not",
    "shouldnt": "should not",
    "shouldn't": "should not",
    "havent": "have not",
    "haven't": "have not",
    "hasnt": "has not",
    "hasn't": "has not",
    "hadnt": "had not",
    "hadn't": "had not",
    "aint": "is not",
    "ain't": "is not",
    "hes": "he is",
    "he's": "he is",
    "shes": "she is",
    "she's": "she is",
    "they're": "they are",
    "theyre": "they are",
    "he'll": "he will",
    "she'll": "she will",
    "they'll": "they will",
    "theyll": "they will",
    "he'd": "he would",
    "she'd": "she would",
    "they'd": "they would",
    "theyd": "they would",
    "there's": "there is",
    "theres": "there is",
    "what's": "what is",
    "whats": "what is",
    "where's": "where is",
    "wheres": "where is",
    "it's": "it is",
    "you'll": "you will",
    "youll": "you will",
    "you're": "you are",
    "you've": "you have",
    "youve": "you have",
    "we'll": "we will",
    "it'll": "it will",
    "that's": "that is",
    "thats": "that is",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "tryna": "trying to",
    "wnt": "want",
    "wan": "want",
    "u": "you",
    "ur": "your",
    "r": "are",
    "2nite": "tonight",
    "tonite": "tonight",
    "2day": "today",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "kil": "kill",
    "kiled": "killed",
    "bout": "about",
    "thinkin": "thinking",
    "havin": "having",
    "feelin": "feeling",
    "tryin": "trying",
    "goin": "going",
    "nothin": "nothing",
    "wana": "want to",
    "wanan": "want to",
    "ima": "i am going to",
    "imma": "i am going to",
    "myslef": "myself",
    "mysef": "myself",
    "cuttin": "cutting",
    "endin": "ending",
    "checkin": "checking",
    "killin": "killing",
    "dyin": "dying",
    "agian": "again",
    "agin": "again",
    "pian": "pain",
    "pils": "pills",
    "pilz": "pills",
    "breath": "breathe",
    "cuz": "because",
    "coz": "because",
    "al": "all",
    "n": "and",
    "od": "overdose",
    "ods": "overdoses",
    "od'd": "overdosed",
    "od'ed": "overdosed",
    "oded": "overdosed",
    "oding": "overdosing",
    "od'ing": "overdosing",
    "xans": "xanax",
    "fent": "fentanyl",
    "self": "self",
    "meself": "myself",
    "lyfe": "life",
    "anymore": "anymore",
    "nomore": "no more",
}
# Key words whose misspellings still count ("suicdal", "sezure", "overdoesed").
_KEY_WORDS = (
    "suicide",
    "suicidal",
    "overdose",
    "overdosed",
    "overdosing",
    "unconscious",
    "unresponsive",
    "seizure",
    "seizures",
    "paracetamol",
    "strangled",
    "punched",
    "attack",
    "threatening",
    "hallucinating",
    "bleeding",
    "poisoned",
    "breathing",
    "breathe",
    "myself",
)
_KEY_SET = frozenset(_KEY_WORDS)


@lru_cache(maxsize=8192)
def _token(token: str) -> str:
    if token in _TOKENS:
        return _TOKENS[token]
    bare = token.strip("'")
    if bare in _TOKENS:
        return _TOKENS[bare]
    if bare.endswith("'s"):  # tonight's, mum's: the word itself is what the rules look for
        bare = bare[:-2]
    if len(bare) >= _FUZZY_MIN_LENGTH and bare not in _KEY_SET and bare.isalpha():
        found = process.extractOne(bare, _KEY_WORDS, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        if found is not None and not bare.startswith(str(found[0])):
            return str(found[0])
    return bare


def normalise(text: str) -> str:
    """Lowercase plain words, one space apart, with the rewrites above applied."""
    return " ".join(word for word in normalise_marked(text).split() if word != BOUNDARY)


def normalise_marked(text: str) -> str:
    """normalise(), with a BOUNDARY token where a sentence ended (for reading a phrase in its
    own clause: dialogs/safety/meaning.py)."""
    folded = unicodedata.normalize("NFKD", text.translate(_LOOKALIKES))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    lowered = folded.translate(_APOSTROPHES).lower() if folded else text.lower()
    lowered = _LEET_IN_WORD.sub(lambda m: m.group(0).translate(_LEET), lowered)
    lowered = _STRETCHED.sub(r"\1", lowered)
    lowered = _NOT_WORD.sub(" ", _CLAUSE_END.sub(f" {BOUNDARY} ", lowered))
    words = " ".join(_token(t) for t in lowered.split())
    return re.sub(r"\bmy self\b", "myself", words)


# -- the rules ---------------------------------------------------------------------------------

RULES_FILE = Path(__file__).parent / "rules.yaml"


@dataclass(frozen=True)
class Rules:
    idioms: re.Pattern[str]  # ordinary talk that borrows crisis words, taken out first
    by_urgency: tuple[tuple[Category, tuple[tuple[str, re.Pattern[str]], ...]], ...]
    possible: tuple[tuple[str, re.Pattern[str]], ...]  # weaker signs: a direct question
    past: re.Pattern[str]  # words that place a mention in the past
    now: re.Pattern[str]  # words that place it now, whatever else is said
    negatable: frozenset[str]  # signals a negation in their clause cancels (meaning.py)


def _either(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The rules in rules.yaml, compiled once; a category missing or unknown is an error."""
    raw = load_yaml(RULES_FILE)
    categories = raw["categories"]
    if list(categories) != [c.value for c in CRISIS]:
        raise ValueError(f"{RULES_FILE.name}: categories must be {[c.value for c in CRISIS]}")
    signals = {name for group in categories.values() for name in group}
    negatable = frozenset(raw["negatable"])
    if negatable - signals:
        raise ValueError(f"{RULES_FILE.name}: unknown negatable signals {negatable - signals}")
    return Rules(
        idioms=_either(raw["idioms"]),
        by_urgency=tuple(
            (Category(name), tuple((signal, _either(p)) for signal, p in group.items()))
            for name, group in categories.items()
        ),
        possible=tuple((signal, _either(p)) for signal, p in raw["possible"].items()),
        past=_either(raw["past"]),
        now=_either(raw["now"]),
        negatable=negatable,
    )


def screen(
    text: str, model: Classifier | None = None, *, answering_reason: bool = False
) -> ScreenResult | None:
    """The most urgent danger `text` signals, or None for ordinary talk. `model` stands in for
    the learnt second opinion (the bench cross-validates with it). `answering_reason`: the
    text answers a question about reasons, hopes or what would help, where the second opinion's
    hunches ask nothing (a rule still does)."""
    weaker: ScreenResult | None = None  # a past mention, a possible sign or a question
    start = 0
    while True:
        piece = text[start : start + MAX_SCREENED]
        found = _screen_slice(piece, model or classifier(), answering_reason)
        if found is not None and found.alarm:
            return found
        weaker = weaker or found
        if start + MAX_SCREENED >= len(text):
            return weaker
        start += MAX_SCREENED - SLICE_OVERLAP


def plain_text(text: str) -> str:
    """The text as the rules read it: normalised, with ordinary idioms taken out."""
    return " ".join(word for word in _marked_text(text).split() if word != BOUNDARY)


def _marked_text(text: str) -> str:
    return rules().idioms.sub(" ", normalise_marked(text))


def _screen_slice(text: str, model: Classifier, answering_reason: bool) -> ScreenResult | None:
    known = rules()
    marked = _marked_text(text).split()
    plain = " ".join(word for word in marked if word != BOUNDARY)
    found, asked, reframed = _read_rules(known, plain, marked)
    if asked is not None:  # a question about an emergency: information
        return asked
    # A phrase read as a negation, a worry or a story is not second-guessed by the model.
    hunch = not (found or reframed or answering_reason)
    hit = found or (_by_model(model, plain) if hunch else None) or _possible(known, plain)
    if hit is None:
        return None
    category, signal = hit
    if known.past.search(plain) and not known.now.search(plain):
        return ScreenResult(Category.PAST, f"{category.value}.{signal}")
    return ScreenResult(category, signal)


def _possible(known: Rules, plain: str) -> tuple[Category, str] | None:
    for signal, pattern in known.possible:
        if pattern.search(plain):
            return Category.POSSIBLE, signal
    return None


def by_rules(
    known: Rules, plain: str, marked: list[str] | None = None
) -> tuple[Category, str] | ScreenResult | None:
    """The first rule whose phrase means what it says where it stands (meaning.py). With no
    such rule, a question about an overdose or emergency is an INFO result naming the topic;
    a negation, a worry or someone else's story is nothing. `marked`: the words with clause
    boundaries (plain's words if not given)."""
    hit, asked, _ = _read_rules(known, plain, marked or plain.split())
    return hit or asked


def _read_rules(
    known: Rules, plain: str, marked: list[str]
) -> tuple[tuple[Category, str] | None, ScreenResult | None, bool]:
    """(the hit, a question about an emergency, whether some phrase was read otherwise)."""
    where = [i for i, word in enumerate(marked) if word != BOUNDARY]  # plain word -> marked
    asked: ScreenResult | None = None
    reframed = False
    for category, signals in known.by_urgency:
        hypothetical = category in (Category.OVERDOSE, Category.MEDICAL)
        for signal, pattern in signals:
            for match in pattern.finditer(plain):
                first = plain.count(" ", 0, match.start())
                last = plain.count(" ", 0, max(match.end() - 1, match.start())) + 1
                reading = read(
                    marked,
                    where[min(first, len(where) - 1)],
                    where[min(last, len(where)) - 1] + 1,
                    negatable=signal in known.negatable,
                    hypothetical=hypothetical,
                )
                if reading is Reading.AS_SAID:
                    return (category, signal), None, reframed
                reframed = True
                if reading is Reading.ASKED and asked is None:
                    asked = ScreenResult(Category.INFO, _topic(category, plain))
    return None, asked, reframed


_WITHDRAWAL = re.compile(r"\b(?:stop\w*|quit\w*|cut\w* down|withdraw\w*|detox\w*|come off)\b")
_BENZO = re.compile(r"\b(?:benzo\w*|xanax|valium|diazepam|alprazolam|clonazepam|etizolam|bars)\b")


def _topic(category: Category, plain: str) -> str:
    """What a question about an emergency is asking about, for the information it gets."""
    if category is Category.MEDICAL and _WITHDRAWAL.search(plain):
        return "benzo_withdrawal" if _BENZO.search(plain) else "alcohol_withdrawal"
    return "overdose_response"


@lru_cache(maxsize=1)
def classifier() -> Classifier:
    """The second opinion, learnt once from the labelled messages."""
    return train(plain_text, labelled_messages())


MODEL_MIN_WORDS = 4  # "pills", "keep it": too few words for a hunch to mean anything
ASK_MIN_WORDS = 6  # "it has gone already": too few for a weaker hunch to be worth a question


def _by_model(model: Classifier, plain: str) -> tuple[Category, str] | None:
    words = len(plain.split())
    if words < MODEL_MIN_WORDS:
        return None
    opinion = model.opinion(plain)
    sure = opinion.belief >= model.threshold
    if opinion.category == Category.SUICIDE or not sure:
        # Words like its suicide sets but no rule, or a weaker hunch: ask directly, not alarm.
        asks = words >= ASK_MIN_WORDS and opinion.suicide >= model.ask_threshold
        return (Category.POSSIBLE, "model") if asks else None
    return Category(opinion.category), "model"
