"""Renders the bot's words. Client text only ever enters as a value: it is escaped for
Telegram's HTML and never compiled as a template."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

TELEGRAM_MESSAGE_LIMIT = 4096  # characters in one Telegram message
QUOTE_LIMIT = 240  # characters of a client's words quoted back in one reflection
DEFAULT_LOCALE = "en"
TEMPLATE_SUFFIX = ".j2"
LABELS_TEMPLATE = "labels"

# Motivational-interviewing codes (CLINICAL.md): each template declares one in its first line.
MI_CODES = {
    "OQ": "open question",
    "CQ": "closed question",
    "SR": "simple reflection",
    "CR": "complex reflection",
    "AF": "affirmation",
    "SC": "seeking collaboration",
    "EA": "emphasizing autonomy",
    "GI": "giving information with permission",
    "ST": "structure/other",
}
_MI_HEADER = re.compile(r"\A\{#-?\s*mi:\s*([A-Z]{2})\s*-?#\}")
_TAG = re.compile(r"</?(?:b|i|u|s|code|pre|blockquote)>")
_BLANK_LINES = re.compile(r"\n{3,}")

TEMPLATES_ROOT = Path(__file__).parent


class TemplateError(Exception):
    """A template is missing, or does not declare a valid MI code."""


@dataclass(frozen=True)
class Rendered:
    template: str
    mi_code: str
    text: str  # Telegram HTML


def quote(words: object, limit: int = QUOTE_LIMIT) -> str:
    """A client's words made fit to quote back: one line, cut at a word past `limit`."""
    flat = " ".join(str(words).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(",;:.!?-") + "…"


def html_to_plain(text: str) -> str:
    """Telegram HTML as the terminal shows it."""
    return html.unescape(_TAG.sub("", text))


class Renderer:
    """One Jinja2 environment for all locales; templates are named without locale or suffix."""

    def __init__(self, root: Path = TEMPLATES_ROOT) -> None:
        self.root = root
        self.env = Environment(
            loader=FileSystemLoader(root),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["quote"] = quote
        self.locales = frozenset(
            p.name
            for p in root.iterdir()
            if p.is_dir()
            and not p.name.startswith("_")
            and (p / f"{LABELS_TEMPLATE}{TEMPLATE_SUFFIX}").exists()
        )
        self._mi_code = cache(self._read_mi_code)

    def locale_for(self, requested: str | None) -> str:
        """The best locale we have for a Telegram language code such as 'pt-br'."""
        if requested:
            for candidate in (requested.lower(), requested.lower().split("-")[0]):
                if candidate in self.locales:
                    return candidate
        return DEFAULT_LOCALE

    def names(self, locale: str = DEFAULT_LOCALE) -> list[str]:
        """Every template of a locale, as the names flows use."""
        base = self.root / locale
        return sorted(
            str(p.relative_to(base).with_suffix("")) for p in base.rglob(f"*{TEMPLATE_SUFFIX}")
        )

    def has(self, name: str, locale: str = DEFAULT_LOCALE) -> bool:
        return (self.root / locale / f"{name}{TEMPLATE_SUFFIX}").is_file()

    def mi_code(self, name: str) -> str:
        return self._mi_code(name)

    def render(self, name: str, locale: str = DEFAULT_LOCALE, **values: Any) -> Rendered:
        """The template's words and MI code. A branch that says something else than the
        template's kind (a reflection's fallback when there is nothing to reflect) declares its
        own with `{% set mi = "ST" %}`, so the transcript is coded for what was said."""
        path = self._path(name, locale)
        module = self.env.get_template(path).make_module(values)
        body = str(module)
        text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in body.splitlines()))
        code = str(getattr(module, "mi", None) or self.mi_code(name))
        if code not in MI_CODES:
            raise TemplateError(f"template '{name}' sets an unknown MI code {code!r}")
        return Rendered(template=name, mi_code=code, text=text.strip())

    def labels(self, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
        """Button labels by choice key, from the locale's `labels` template."""
        return self._labels_module(locale, "labels")

    def commands(self, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
        """Command descriptions for Telegram's command menu, from the `labels` template."""
        return self._labels_module(locale, "commands")

    def strings(self, name: str, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
        """Another dict of words from the `labels` template, e.g. `chart` (picture captions)."""
        return self._labels_module(locale, name)

    def _labels_module(self, locale: str, name: str) -> dict[str, str]:
        module = self.env.get_template(self._path(LABELS_TEMPLATE, locale)).make_module()
        return {str(k): str(v) for k, v in getattr(module, name).items()}

    def check(self, name: str) -> None:
        """Raise TemplateError unless `name` exists, compiles and declares an MI code."""
        self.mi_code(name)
        self.env.get_template(self._path(name, DEFAULT_LOCALE))

    def _path(self, name: str, locale: str) -> str:
        if locale != DEFAULT_LOCALE and not self.has(name, locale):
            locale = DEFAULT_LOCALE
        return f"{locale}/{name}{TEMPLATE_SUFFIX}"

    def _read_mi_code(self, name: str) -> str:
        try:
            source, _, _ = self.env.loader.get_source(self.env, self._path(name, DEFAULT_LOCALE))  # type: ignore[union-attr]
        except TemplateNotFound:
            raise TemplateError(f"template '{name}' does not exist") from None
        match = _MI_HEADER.match(source)
        if match is None or match.group(1) not in MI_CODES:
            raise TemplateError(
                f"template '{name}' must start with an MI code, e.g. {{# mi: OQ #}}"
            )
        return match.group(1)
