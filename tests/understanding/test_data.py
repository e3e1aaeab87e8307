"""The labelled data: big enough, held out properly, and the held-out figures on target."""

from __future__ import annotations

import pytest

from dialogs.understanding import Intent, Polarity, Topic
from dialogs.understanding.data import every_text, labelled
from dialogs.understanding.measure import NONE, TARGET, below_target, held_out
from dialogs.understanding.normalise import normalise, words


def _key(text: str) -> str:
    return " ".join(words(normalise(text))) or normalise(text)


def test_no_held_out_text_is_in_the_training_part() -> None:
    training = {_key(text) for text in every_text("train")}
    leaked = sorted({text for text in every_text("heldout") if _key(text) in training})
    assert leaked == []


def test_enough_texts_and_enough_held_out() -> None:
    train, heldout = len(every_text("train")), len(every_text("heldout"))
    assert train + heldout >= 900
    # The held-out part was a quarter of the whole until the third training round (2026-12-01)
    # grew the training part alone; it stays at least a fifth, and never shrinks.
    assert heldout >= 771
    assert heldout / (train + heldout) >= 0.20


@pytest.mark.parametrize(
    ("task", "labels"),
    [
        ("intents", [str(i) for i in Intent]),
        ("topics", [*(str(t) for t in Topic), NONE]),
        ("talk", ["change", "sustain", "neutral"]),
        ("polarity", [*(str(p) for p in Polarity), NONE]),
    ],
)
def test_every_label_has_ten_held_out(task: str, labels: list[str]) -> None:
    counts = {label: 0 for label in labels}
    for part in ("heldout", "train"):
        found = labelled(part, task)  # type: ignore[arg-type]
        assert {label for label, _ in found} == set(labels)
    for label, _ in labelled("heldout", task):  # type: ignore[arg-type]
        counts[label] += 1
    assert min(counts.values()) >= 10, counts


# Labels below the target on the held-out part (rounds 1-4 together) when this was written
# (2026-11-30, after the fourth training round), with the figures they had (precision, recall).
# No label may fall below the target or below its figure here: a regression fails. The full
# target is asserted too, as an expected failure that must be removed (with these floors) once it
# is met. Round 4 was written blind by someone who had read no code or data; on it alone intents
# are at macro F1 0.85, talk 0.80, topics 0.90 (bench/understanding.py prints each round).
BELOW_TARGET = {  # (precision, recall), a thousandth under the figure measured
    ("intents", "answer"): (0.823, 0.933),
    ("intents", "correction"): (1.0, 0.896),
    ("intents", "feeling"): (0.977, 0.833),
    ("intents", "frustration"): (0.897, 0.883),
    ("intents", "question"): (0.891, 0.935),
    ("intents", "talk"): (0.898, 0.911),
    ("talk", "change"): (0.842, 0.897),
    ("talk", "neutral"): (0.94, 0.84),
    ("talk", "sustain"): (0.873, 0.907),
    ("topics", "naloxone"): (0.971, 0.891),
    ("topics", "none"): (0.733, 0.971),
    ("topics", "the_bot"): (1.0, 0.8),
    ("topics", "using_alone"): (1.0, 0.868),
}


@pytest.mark.parametrize("task", ["intents", "talk", "topics", "polarity"])
def test_held_out_figures_do_not_regress(task: str) -> None:
    result = held_out(task)
    fallen = {}
    for label in result.labels:
        floor = BELOW_TARGET.get((task, label), (TARGET, TARGET))
        got = (result.precision(label), result.recall(label))
        if got[0] < min(TARGET, floor[0]) or got[1] < min(TARGET, floor[1]):
            fallen[label] = (round(got[0], 3), round(got[1], 3))
    assert fallen == {}, f"below the target and below their recorded figures: {fallen}"


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(task, marks=pytest.mark.xfail(strict=True, reason="labels below target"))
        if any(t == task for t, _ in BELOW_TARGET)
        else task
        for task in ("intents", "talk", "topics", "polarity")
    ],
)
def test_held_out_figures_meet_the_target(task: str) -> None:
    result = held_out(task)
    missed = {
        label: (round(result.precision(label), 3), round(result.recall(label), 3))
        for label in below_target(result)
    }
    assert missed == {}, f"below {TARGET} (precision, recall): {missed}"


def test_held_out_ruler_scores() -> None:
    result = held_out("scores")
    assert result.misses == []
