"""MI fidelity of the bot's side of a conversation, from the MI codes of the templates it used.

Follows the MITI summary scores: reflections per question, share of complex reflections, and
the count of MI non-adherent utterances (here: any bot text that trips the language guard, or
that carries no known MI code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prompts.guard import flagged_phrases
from prompts.renderer import MI_CODES

QUESTIONS = frozenset({"OQ", "CQ"})


@dataclass(frozen=True)
class MiMetrics:
    utterances: int
    questions: int
    simple_reflections: int
    complex_reflections: int
    non_adherent: int

    @property
    def reflections(self) -> int:
        return self.simple_reflections + self.complex_reflections

    @property
    def reflections_per_question(self) -> float | None:
        return self.reflections / self.questions if self.questions else None

    @property
    def complex_share(self) -> float | None:
        return self.complex_reflections / self.reflections if self.reflections else None


def mi_metrics(utterances: Iterable[tuple[str | None, str]]) -> MiMetrics:
    """Metrics for (MI code, rendered text) pairs of the bot's own messages."""
    counts = {"total": 0, "q": 0, "sr": 0, "cr": 0, "na": 0}
    for code, text in utterances:
        counts["total"] += 1
        counts["q"] += code in QUESTIONS
        counts["sr"] += code == "SR"
        counts["cr"] += code == "CR"
        counts["na"] += code not in MI_CODES or bool(flagged_phrases(text))
    return MiMetrics(counts["total"], counts["q"], counts["sr"], counts["cr"], counts["na"])
