"""The language guard on labelled sentences (tests/guard/sentences.yaml): the bot's own voice
prescribing, moralizing or labelling is caught, with its everyday variants, and MI-consistent
sentences and the client's quoted words are left alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from prompts.guard import _PATTERNS, flagged_phrases, score_guard

SENTENCES = Path(__file__).parent / "guard" / "sentences.yaml"
# The targets: at most 1 in 20 flags is wrong, and at most 1 in 20 phrasings slips through.
MIN_PRECISION = 0.95
MIN_RECALL = 0.95


@pytest.fixture(scope="module")
def labelled() -> dict[str, list[str]]:
    data: dict[str, Any] = yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))
    return {"flag": list(data["flag"]), "ok": list(data["ok"])}


def test_the_set_is_large_balanced_and_without_repeats(labelled: dict[str, list[str]]) -> None:
    every = labelled["flag"] + labelled["ok"]
    assert len(every) >= 200 and min(len(labelled["flag"]), len(labelled["ok"])) >= 100
    assert len(set(every)) == len(every)
    assert all(isinstance(s, str) and s.strip() for s in every)


def test_precision_and_recall_meet_the_targets(labelled: dict[str, list[str]]) -> None:
    score = score_guard(labelled["flag"], labelled["ok"])
    assert score.precision >= MIN_PRECISION, f"wrongly flagged: {score.wrongly_flagged}"
    assert score.recall >= MIN_RECALL, f"missed: {score.missed}"


def test_every_rule_is_needed_by_some_sentence(labelled: dict[str, list[str]]) -> None:
    rules = {f.partition(":")[0] for s in labelled["flag"] for f in flagged_phrases(s)}
    assert rules == set(_PATTERNS)


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("you've gotta quit", "order"),
        ("u should stop", "order"),
        ("get clean", "clean"),
        ("you need to cut back", "order"),
        ("think of your kids", "think of your family"),
        ("You&#39;d <b>better</b> stop", "order"),  # markup and entities do not hide it
        ("You’ve got to stop", "order"),  # noqa: RUF001 - a typographic apostrophe
    ],
)
def test_the_issue_examples_are_caught_by_their_rule(sentence: str, rule: str) -> None:
    assert rule in {f.partition(":")[0] for f in flagged_phrases(sentence)}


def test_quoted_client_words_are_theirs_but_the_bot_around_them_is_checked() -> None:
    assert flagged_phrases("You said “I should quit, I'm an addict”.") == []
    assert flagged_phrases("You said “I drink too much”, so you should quit.") != []
    assert flagged_phrases('The button says "Quit".') != []  # only curly quotes mark the client
