"""The language guard: finds phrasings the bot must never use in its own voice (CLINICAL.md).

Words inside “curly quotes” are the client's own, quoted back, and are not checked."""

from __future__ import annotations

import re

_QUOTED = re.compile(r"“[^”]*”")

_YOU = r"\b(?:you|u|ya|y'all)"
_PATTERNS: dict[str, str] = {
    "order": _YOU + r"\s*(?:'ve|'d|really|just|absolutely|definitely|\s)*\s*"
    r"(?:must|should|shoud|shld|need(?:s)?\s+to|needa|have\s+to|hafta|has\s+to|had\s+better|"
    r"better\s+(?!than\b)\w+|gotta|got\s+to|ought\s+to|'d\s+better)\b",
    "you'd better": r"\byou'd\s+better\b",
    "stop using": r"\bstop(?:ping)?\s+(?:using|drinking|gambling|smoking|taking|doing\s+it)\b",
    "quit": r"\bquit(?:s|ting|ted)?\b",
    "give up": r"\bgiv(?:e|ing)\s+(?:it\s+)?up\b",
    "duty": r"\b(?:it's|it\s+is)\s+your\s+(?:duty|responsibility)\b",
    "think of": r"\bthink\s+(?:of|about)\s+your\s+(?:family|kids|children|wife|husband|parents|"
    r"partner|mother|mum|mom|father|dad)\b",
    "addict": r"\baddicts?\b",
    "alcoholic": r"\balcoholics?\b",
    "junkie": r"\bjunk(?:ie|y|ies)\b",
    "abuser": r"\babusers?\b",
    "user": r"\b(?:a|an|the|drug|heavy|problem|active)\s+users?\b|\busers\b",
    "clean": r"\b(?:clean|dirty)\b",
    "relapse": r"\brelaps(?:e|es|ed|ing)\b",
    "abuse": r"\b(?:substance|drug|alcohol)\s+(?:ab)?use\s+disorder\b|\babuse\b",
    "why not higher": r"\b(?:why|and)\s+(?:is\s+it\s+)?not\s+(?:a\s+)?(?:higher|more)\b",
    "failure": r"\b(?:fail(?:ed|ure)?|start(?:ing)?\s+over|"
    r"back\s+to\s+(?:day\s+)?(?:zero|square\s+one))\b",
}
_COMPILED = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in _PATTERNS.items()}


def bot_voice(text: str) -> str:
    """The text without the client's quoted words."""
    return _QUOTED.sub("“…”", text.replace("&#39;", "'").replace("&#34;", '"'))


def flagged_phrases(text: str) -> list[str]:
    """The flagged phrases found in the bot's own voice, as (rule: phrase) strings."""
    voice = bot_voice(text)
    return [f"{name}: {m.group(0)}" for name, rx in _COMPILED.items() for m in rx.finditer(voice)]
