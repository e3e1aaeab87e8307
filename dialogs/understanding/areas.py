"""The life areas a client's words touch (sleep, money, work or study, family and partner,
friends, mood, health, safety, the law), for complex reflections that say what lies under a
reply ("so it costs you sleep and money").

Keywords and slang are in areas.yaml beside this file ("skint", "the missus", "hangxiety",
"cant sleep", "probation"). Texting spellings are made standard first (gf -> girlfriend), the
phrases where a keyword means something else are set aside ("cut down" is not low mood), and a
long word with a typo still counts ("probaton", "anxeity")."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml
from rapidfuzz import fuzz, process

from dialogs.understanding.reflect import SPELLINGS

AREAS_PATH: Final = Path(__file__).with_name("areas.yaml")
FUZZY_MIN_LENGTH: Final = 6
FUZZY_CUTOFF: Final = 85.0

_WORD = re.compile(r"[a-z0-9&][a-z0-9'’&-]*")  # noqa: RUF001


@cache
def _compiled(
    path: Path = AREAS_PATH,
) -> tuple[tuple[tuple[str, re.Pattern[str]], ...], re.Pattern[str], dict[str, str]]:
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    areas = []
    fuzzy: dict[str, str] = {}
    for area, words in data["areas"].items():
        parts = []
        for word in words:
            text = " ".join(str(word).lower().split())
            body = re.escape(text.rstrip("*")).replace("'", "'?").replace(r"\ ", r"\s+")
            parts.append(body + (r"\w*" if text.endswith("*") else ""))
            if " " not in text and "*" not in text and len(text) >= FUZZY_MIN_LENGTH:
                fuzzy.setdefault(text, str(area))
        areas.append((str(area), re.compile(r"\b(?:" + "|".join(parts) + r")\b")))
    others = "|".join(re.escape(" ".join(str(p).split())) for p in data["not"])
    return tuple(areas), re.compile(r"\b(?:" + others.replace(r"\ ", r"\s+") + r")\b"), fuzzy


def _normal(text: str) -> str:
    words = _WORD.findall(text.casefold().replace("’", "'"))  # noqa: RUF001
    return " ".join(SPELLINGS.get(w, w) for w in words)


def life_areas(text: str) -> tuple[str, ...]:
    """The areas `text` touches, in the order of areas.yaml (sleep, money, work, family,
    friends, mood, health, safety, law)."""
    if not text:
        return ()
    areas, others, fuzzy = _compiled()
    normal = others.sub(" ", _normal(text))
    found = {area for area, pattern in areas if pattern.search(normal)}
    for word in normal.split():
        if len(word) >= FUZZY_MIN_LENGTH and word not in fuzzy:
            hit = process.extractOne(
                word, fuzzy.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if hit is not None:
                found.add(fuzzy[hit[0]])
    return tuple(area for area, _ in areas if area in found)
