"""What an answer is about beneath its words (themes.yaml): what it gives ("switch off after
work": a way of letting go of the day), what it costs (tired, money), who is in it, how it sits
in the week ("every nite": a settled place in the evenings), the fear under it ("a bad batch":
staying alive), both sides at once. Complex reflections are built from these, in the bot's own
words, never from the client's sentence pasted back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

from dialogs.understanding.reflect import SPELLINGS

THEMES_PATH: Final = Path(__file__).with_name("themes.yaml")
_WORD = re.compile(r"[a-z0-9&][a-z0-9'’&-]*")  # noqa: RUF001


@dataclass(frozen=True)
class Theme:
    kind: str  # "relief", "routine", "pressure", ...
    detail: str | None = None  # what the reflection names: "evenings", "your girlfriend"


@dataclass(frozen=True)
class _Rule:
    kind: str
    words: tuple[re.Pattern[str], ...]
    details: tuple[tuple[str, re.Pattern[str]], ...]
    needs_detail: bool


@cache
def _rules(path: Path = THEMES_PATH) -> tuple[_Rule, ...]:
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return tuple(
        _Rule(
            kind=str(kind),
            words=tuple(re.compile(str(w)) for w in spec["words"]),
            details=tuple((str(k), re.compile(str(p))) for k, p in spec.get("details", {}).items()),
            needs_detail=bool(spec.get("needs_detail", False)),
        )
        for kind, spec in data["themes"].items()
    )


def _normal(text: str) -> str:
    words = _WORD.findall(text.casefold().replace("’", "'"))  # noqa: RUF001
    return " ".join(SPELLINGS.get(w, w) for w in words)


def themes(text: str) -> tuple[Theme, ...]:
    """The themes `text` carries, in the order of themes.yaml."""
    normal = _normal(text or "")
    found = []
    for rule in _rules():
        if not any(p.search(normal) for p in rule.words):
            continue
        detail = next((name for name, p in rule.details if p.search(normal)), None)
        if detail is None and rule.needs_detail:
            continue
        found.append(Theme(rule.kind, detail))
    return tuple(found)
