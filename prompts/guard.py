"""The language guard: finds phrasings the bot must never use in its own voice (CLINICAL.md,
"Words the bot never uses"), with the variants people really write: contractions, slang,
misspellings and inflections ("you've gotta quit", "u should stop", "get clean").

Words inside “curly quotes” are the client's own, quoted back, and are not checked. Measured on
the labelled sentences in tests/guard/sentences.yaml (bench/language_guard.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

_QUOTED = re.compile(r"“[^”]*”")
_TAG = re.compile(r"</?[a-z]+>")

_YOU = r"\b(?:you|u|ya|ye|y'all|yall)"
_INTENSIFIERS = (
    r"(?:\s+(?:really|just|absolutely|definitely|seriously|honestly|totally|truly|still))*"
)
_MODALS = (
    r"must(?:n't|\s+not)?|should(?:n't)?|shoud|shud|shuld|shld|sould|ought\s+to|"
    r"needs?\s+(?:to|2|too)\b|needa|nead\s+to|need\s+(?:some\s+)?(?:professional\s+)?help|"
    r"ha(?:ve|v|s)\s+to|hafta|gotta|got\s+to|better\s+(?!than\b|off\b|at\b|for\b|now\s+than\b)\w+"
)
_ORDER = (
    _YOU + r"(?:'ve|ve|\s+have)?" + _INTENSIFIERS + r"\s*(?:'ve\s+)?(?:" + _MODALS + r")"
    r"|" + _YOU + r"(?:'ll|ll|\s+will)" + _INTENSIFIERS + r"\s+(?:have|need)\s+to\b"
    r"|(?:" + _YOU + r"(?:'re|re|\s+are)|\bur)\s+(?:going\s+to|gonna)\s+(?:have|need)\s+to\b"
    r"|" + _YOU + r"(?:'d|d|\s+had)\s+better\b"
    r"|" + _YOU + r"\s+(?:might|may)\s+want\s+to\s+(?:stop|quit|cut|give|"
    r"think\s+about\s+(?:stopping|quitting|cutting))"
)
# A question, a condition or a guess is not an order: "what would you need to feel ready?",
# "if you need to talk", "you must be exhausted".
_NOT_AN_ORDER_BEFORE = re.compile(
    r"\b(?:do|does|did|would|will|could|can|might|if|when|whenever|what|whatever|anything|"
    r"everything|something|where|how|why)\s*$",
    re.IGNORECASE,
)
_GUESS = re.compile(
    r"\s*(?:be\s+(?:so\s+|really\s+|very\s+|pretty\s+|quite\s+)?(?:tired|exhausted|worn\s+out|"
    r"fed\s+up|frustrated|proud|relieved|sick\s+of)|have\s+been|feel)\b",
    re.IGNORECASE,
)
_SENTENCE_START = r"(?:^|(?<=[.!?;:\n•])\s*)(?:(?:just|please|so|now|and)\s+)?"
_FAMILY = (
    r"(?:poor\s+)?(?:family|kids|children|child|wife|husband|parents|partner|mother|mum|mom|"
    r"father|dad|son|daughter|baby|babies|loved\s+ones)"
)
_PATTERNS: dict[str, str] = {
    "order": _ORDER,
    "imperative": _SENTENCE_START
    + r"(?:cut\s+(?:it\s+)?(?:down|back|out)|put\s+(?:the\s+\w+\s+|it\s+|that\s+)?down|"
    r"(?:don't|dont|do\s+not|never)\s+(?:drink|use|gamble|smoke|mix|take|bet|touch))\b",
    "stop using": r"\bstop(?:s|ped|ping)?\s+(?:using|drinking|gambling|smoking|taking|betting|"
    r"gaming|vaping|shooting\s+up|doing\s+(?:it|drugs|that))\b",
    "time to stop": r"\btime\s+(?:for\s+you\s+)?to\s+(?:stop|quit|cut|give|get\s+(?:clean|sober))",
    "quit": r"\bquit(?:s|ting|ted|ter|ters)?\b",
    "give up": r"\b(?:give|gives|giving|gave|given)\s+(?:it\s+|this\s+|that\s+|them\s+)?up\b",
    "duty": r"\b(?:it's|it\s+is|its)\s+your\s+(?:duty|responsibility|obligation)\b",
    "think of your family": r"\bthink\s+(?:of|about)\s+(?:your|ur|yer)\s+" + _FAMILY + r"\b"
    r"|\b(?:do\s+it|stop|change)\s+for\s+(?:your|ur)\s+" + _FAMILY + r"\b"
    r"|\bfor\s+the\s+sake\s+of\s+(?:your|ur)\s+" + _FAMILY + r"\b"
    r"|\bwhat\s+about\s+(?:your|ur)\s+" + _FAMILY + r"\b"
    r"|\b(?:your|ur)\s+" + _FAMILY + r"\s+deserves?\s+better\b",
    "addict": r"\baddicts?\b",
    "alcoholic": r"(?<!non-)(?<!non)\balcoholics?\b(?!\s+(?:drinks?|beverages?|content|strength))",
    "junkie": r"\bjunk(?:ie|y|ies)\b|\b(?:crackheads?|potheads?|stoners?|druggies|druggie|druggy|"
    r"winos?|boozers?|drunks)\b|\ba\s+drunk\b",
    "user": r"\b(?:drug|drugs|heavy|problem|active|substance|iv|meth|crack|heroin|opioid|opiate|"
    r"cannabis|alcohol|injecting|intravenous)\s+users?\b|\busers\b"
    r"|\b(?:problem|compulsive|degenerate)\s+(?:gamblers?|drinkers?)\b",
    "abuse": r"\b(?:substance|drug|drugs|alcohol|opioid|prescription|cannabis|benzo\w*)\s+"
    r"(?:ab|mis)us(?:e|er|ers)\b"
    r"|\babus(?:e|es|ed|ing)\s+(?:alcohol|drugs?|substances|pills|(?:your|ur)\s+(?:meds|"
    r"medication|pills|body))\b",
    "clean": r"\b(?:clean|dirty)\b(?!\s+(?:needles?|syringes?|works|equipment|gear|supplies|"
    r"pipes?|straws?|spoons?|water|hands))",
    "relapse": r"\brelaps(?:e|es|ed|ing)\b|\boff\s+the\s+wagon\b",
    "failure": r"\bfail(?:s|ed|ing|ure|ures)?\b|\bstart(?:s|ed|ing)?\s+(?:all\s+)?over\b"
    r"|\bback\s+to\s+(?:day\s+(?:zero|one|0|1)|square\s+one|zero)\b",
    "why not higher": r"\bwhy\s+(?:is\s+it\s+)?not\s+(?:a\s+)?(?:higher|more|ten|\d+)\b"
    r"|\bwhy\s+(?:isn't|is\s+not)\s+it\s+(?:higher|more)\b|\bwhy\s+only\s+(?:a\s+|an\s+)?\d+\b"
    r"|\band\s+not\s+(?:higher|more)\b",
}
_COMPILED = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in _PATTERNS.items()}


def bot_voice(text: str) -> str:
    """The text as a reader sees it, without the client's quoted words."""
    plain = html.unescape(_TAG.sub("", text)).replace("’", "'")  # noqa: RUF001
    return _QUOTED.sub("“…”", plain)


def _is_order(voice: str, match: re.Match[str]) -> bool:
    if _NOT_AN_ORDER_BEFORE.search(voice[: match.start()]):
        return False
    return not (match.group(0).lower().endswith("must") and _GUESS.match(voice, match.end()))


def flagged_phrases(text: str) -> list[str]:
    """The flagged phrases found in the bot's own voice, as (rule: phrase) strings."""
    voice = bot_voice(text)
    found = []
    for name, rx in _COMPILED.items():
        for m in rx.finditer(voice):
            if name != "order" or _is_order(voice, m):
                found.append(f"{name}: {m.group(0).strip()}")
    return found


@dataclass(frozen=True)
class GuardScore:
    """How the guard does on labelled sentences: `flag` ones it should flag, `ok` ones not."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    missed: tuple[str, ...]  # flag sentences it let through
    wrongly_flagged: tuple[str, ...]  # ok sentences it flagged

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        should = self.true_positives + self.false_negatives
        return self.true_positives / should if should else 1.0


def score_guard(flag: Iterable[str], ok: Iterable[str]) -> GuardScore:
    flag, ok = list(flag), list(ok)
    missed = tuple(s for s in flag if not flagged_phrases(s))
    wrong = tuple(s for s in ok if flagged_phrases(s))
    flag_n, ok_n = len(flag), len(ok)
    return GuardScore(
        true_positives=flag_n - len(missed),
        false_positives=len(wrong),
        false_negatives=len(missed),
        true_negatives=ok_n - len(wrong),
        missed=missed,
        wrongly_flagged=wrong,
    )
