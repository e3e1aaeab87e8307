"""Every word the bot says: Jinja2 templates per locale, the renderer, and the language guard."""

from prompts.guard import flagged_phrases
from prompts.renderer import (
    MI_CODES,
    TELEGRAM_MESSAGE_LIMIT,
    Rendered,
    Renderer,
    TemplateError,
    html_to_plain,
)

__all__ = [
    "MI_CODES",
    "TELEGRAM_MESSAGE_LIMIT",
    "Rendered",
    "Renderer",
    "TemplateError",
    "flagged_phrases",
    "html_to_plain",
]
