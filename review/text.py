"""Client text made safe to read: characters that reorder or hide text are shown, not obeyed.

A right-to-left override (U+202E) in a client's message would otherwise reverse the
dashboard's own text after it; a zero-width or control character would hide. Each is shown
as a visible token such as ⟦U+202E⟧; the templates also isolate client text in <bdi>."""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape

KEPT = {"\n", "\t", "\u200d"}  # a joiner inside an emoji reorders nothing


def _hidden(char: str) -> bool:
    return char not in KEPT and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def visible(value: object) -> Markup:
    """`value` escaped, each control or formatting character shown by its code point: a
    right-to-left override reads ⟦U+202E⟧."""
    text = "" if value is None else str(value)
    if not any(_hidden(c) for c in text):
        return escape(text)
    return Markup("").join(
        Markup('<span class="control" title="a hidden character">⟦U+{:04X}⟧</span>').format(ord(c))
        if _hidden(c)
        else escape(c)
        for c in text
    )
