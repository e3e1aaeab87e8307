"""Emergency numbers and crisis lines by country, from resources.yaml, and the view of them the
safety templates render. A country we have no numbers for gets the international fallback."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from dialogs.yamlfile import load_yaml

RESOURCES_FILE = Path(__file__).parent / "resources.yaml"
TOPICS = ("suicide", "overdose", "medical", "violence")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Line(_Strict):
    name: str
    contact: str
    about: str
    topics: tuple[str, ...]


class Place(_Strict):
    name: str
    aliases: tuple[str, ...] = ()
    emergency: str
    note: str = ""
    lines: tuple[Line, ...]


class Directory(_Strict):
    international: Place
    countries: dict[str, Place]

    def place(self, code: str | None) -> Place:
        return self.countries.get(code or "", self.international)


@lru_cache(maxsize=1)
def directory() -> Directory:
    raw = load_yaml(RESOURCES_FILE)
    found = Directory.model_validate(raw)
    for code, place in found.countries.items():
        unknown = {t for line in place.lines for t in line.topics} - set(TOPICS)
        if len(code) != 2 or not code.isupper() or unknown:
            raise ValueError(f"{RESOURCES_FILE.name}: {code}: bad code or topics {unknown}")
    return found


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z ]+", " ", folded.lower().replace("'", "")).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def find_country(text: str) -> str | None:
    """The country code a client's answer names ("UK", "Deutschland", "in Ireland"), or None."""
    typed = _plain(text)
    for prefix in ("i am in ", "im in ", "i live in ", "in "):
        typed = typed.removeprefix(prefix)
    for code, place in directory().countries.items():
        if typed in {code.lower(), _plain(place.name), *(_plain(a) for a in place.aliases)}:
            return code
    return None


def country_from_locale(locale: str | None) -> str | None:
    """A country we have numbers for, from a Telegram language code's region ("en-GB" -> GB)."""
    if not locale or "-" not in locale.replace("_", "-"):
        return None
    region = locale.replace("_", "-").split("-")[-1].upper()
    return region if region in directory().countries else None


def view(country: str | None, category: str) -> dict[str, Any]:
    """What the resources template shows: the emergency number and the lines for `category`
    (every line for /sos and for a past mention)."""
    place, fallback = directory().place(country), directory().international
    everything = category not in TOPICS
    lines = [
        {"name": line.name, "contact": line.contact, "about": line.about}
        for line in (*place.lines, *(fallback.lines if place is not fallback else ()))
        if everything or category in line.topics
    ]
    if not lines:  # a country without a line for this: the general ones are better than none
        lines = [{"name": x.name, "contact": x.contact, "about": x.about} for x in place.lines]
    return {
        "known": country in directory().countries,
        "country": place.name,
        "emergency": place.emergency,
        "note": place.note,
        "lines": lines,
    }
