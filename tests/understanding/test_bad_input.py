"""Whatever arrives, `understand` answers, and quickly."""

from __future__ import annotations

import pytest

from dialogs.understanding import Intent, Understanding, understand
from dialogs.understanding.classifiers import reader, trained
from dialogs.understanding.data import labelled

NASTY = [
    "",
    " ",
    "\n\n\t",
    "\x00",
    "a\x00b\x00c",
    "🤷🤷🤷",
    "💊💉🍺" * 100,
    "{{ 7*7 }}",
    "{% for x in y %}{{ x }}{% endfor %}",
    "<b>bold</b> <script>alert(1)</script>",
    "*bold* _it_ `code` [link](http://x)",
    "'; DROP TABLE clients; --",
    "x" * 10_000,
    "why? " * 2_000,
    "1" * 500,
    "10/0",
    "9999999999999999999999%",
    "-5",
    "\u202e\u200b\ufeff",
    "\uff29 \uff37\uff21\uff2e\uff34 \uff34\uff2f \uff33\uff34\uff2f\uff30",  # full-width
    "ДА",
    "sí, claro",
    "\ud800",  # a lone surrogate, as a broken client might send
]


@pytest.mark.parametrize("text", NASTY)
@pytest.mark.parametrize("expects", ["text", "choice", "scale", "something else"])
def test_never_raises(text: str, expects: str) -> None:
    understood = understand(text, expects=expects)
    assert isinstance(understood, Understanding)
    assert understood.score is None or 0 <= understood.score <= 10


def test_nothing_to_read_is_a_non_answer() -> None:
    for text in ("", "   ", "\x00", "🤷"):
        assert understand(text, expects="text").intent == Intent.NON_ANSWER


def test_learning_is_deterministic() -> None:
    # How long learning takes is measured in bench/understanding.py, not asserted here.
    first = reader("intents").beliefs("i want to cut down")
    trained.cache_clear()
    again = trained("intents")
    probabilities = again.predict_proba(["i want to cut down"])[0]
    assert [first[str(label)] for label in again.classes_] == pytest.approx(list(probabilities))


@pytest.mark.parametrize("task", ["intents", "talk", "topics"])
def test_the_fast_reader_agrees_with_the_pipeline(task: str) -> None:
    model = trained(task)  # type: ignore[arg-type]
    fast = reader(task)  # type: ignore[arg-type]
    texts = [text for _, text in labelled("heldout", task)] + NASTY  # type: ignore[arg-type]
    for text, row in zip(texts, model.predict_proba(texts), strict=True):
        beliefs = fast.beliefs(text)
        assert [beliefs[str(label)] for label in model.classes_] == pytest.approx(list(row))
