"""Precision and recall of each step on the labelled data: what bench/understanding.py prints
and tests/understanding holds to its targets. Cross-validation here only ever reads the
training part; the held-out part is scored with the models learnt from all of the training part."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sklearn.model_selection import StratifiedKFold

from dialogs.understanding.classifiers import SETTINGS, Reader, Settings, train
from dialogs.understanding.data import Part, labelled, rounds, scored
from dialogs.understanding.intent import QUESTION_NUDGE, STEERING_NUDGE, read_intent
from dialogs.understanding.polarity import read_polarity
from dialogs.understanding.score import read_score
from dialogs.understanding.talk import CHANGE_THRESHOLD, read_talk
from dialogs.understanding.topic import NO_TOPIC, TOPIC_THRESHOLD, read_topic

TARGET = 0.90  # precision and recall, each label, on the held-out part
FOLDS = 5
NONE = "none"


@dataclass
class Score:
    total: Counter[str] = field(default_factory=Counter)  # texts labelled so
    said: Counter[str] = field(default_factory=Counter)  # texts read as so
    right: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # label, read as, text

    def add(self, label: str, got: str, text: str) -> None:
        self.total[label] += 1
        self.said[got] += 1
        if got == label:
            self.right[label] += 1
        else:
            self.misses.append((label, got, text))

    def merge(self, other: Score) -> None:
        self.total.update(other.total)
        self.said.update(other.said)
        self.right.update(other.right)
        self.misses.extend(other.misses)

    def precision(self, label: str) -> float:
        return self.right[label] / self.said[label] if self.said[label] else 1.0

    def recall(self, label: str) -> float:
        return self.right[label] / self.total[label] if self.total[label] else 1.0

    @property
    def labels(self) -> list[str]:
        return sorted(self.total)

    def macro_f1(self) -> float:
        f1 = []
        for label in self.labels:
            p, r = self.precision(label), self.recall(label)
            f1.append(2 * p * r / (p + r) if p + r else 0.0)
        return sum(f1) / len(f1)


Reading = Callable[[str], str]


def scored_by(pairs: list[tuple[str, str]], reading: Reading) -> Score:
    result = Score()
    for label, text in pairs:
        result.add(label, reading(text), text)
    return result


def intent_reading(
    model: Reader | None = None, nudge: float = QUESTION_NUDGE, steering: float = STEERING_NUDGE
) -> Reading:
    return lambda text: str(read_intent(text, model, nudge, steering))


def talk_reading(model: Reader | None = None, threshold: float = CHANGE_THRESHOLD) -> Reading:
    return lambda text: str(read_talk(text, model, threshold))


def topic_reading(model: Reader | None = None, threshold: float = TOPIC_THRESHOLD) -> Reading:
    def reading(text: str) -> str:
        topic = read_topic(text, model, threshold)
        return NO_TOPIC if topic is None else str(topic)

    return reading


def polarity_reading(text: str) -> str:
    polarity = read_polarity(text)
    return NONE if polarity is None else str(polarity)


READINGS: dict[str, Callable[[Reader | None], Reading]] = {
    "intents": intent_reading,
    "talk": talk_reading,
    "topics": topic_reading,
}


def held_out(task: str) -> Score:
    """A step on the held-out part (learnt classifiers: from all of the training part)."""
    if task == "polarity":
        return scored_by(labelled("heldout", "polarity"), polarity_reading)
    if task == "scores":
        return scores("heldout")
    return scored_by(labelled("heldout", task), READINGS[task](None))  # type: ignore[arg-type]


def held_out_rounds(task: str) -> dict[str, Score]:
    """A learnt step on each held-out round (file) apart: `talk`, `talk_2`, ..."""
    return {
        name: scored_by(pairs, READINGS[task](None))
        for name, pairs in rounds("heldout", task)  # type: ignore[arg-type]
    }


def cross_validated(
    task: str,
    reading: Callable[[Reader], Reading] | None = None,
    settings: Settings | None = None,
) -> Score:
    """Each fifth of the training part read by a model learnt from the other four fifths (with
    the step's own settings unless others are given)."""
    settings = settings or SETTINGS[task]  # type: ignore[index]
    pairs = labelled("train", task)  # type: ignore[arg-type]
    reading = reading or READINGS[task]
    labels = [label for label, _ in pairs]
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    total = Score()
    for rest, test in folds.split(labels, labels):
        model = Reader(train([pairs[i] for i in rest], settings))
        total.merge(scored_by([pairs[i] for i in test], reading(model)))
    return total


def scores(part: Part) -> Score:
    """The ruler reader: each text counts under the score it should read as ("none": no score)."""
    result = Score()
    for text, expected in scored(part):
        got = read_score(text)
        result.add(
            NONE if expected is None else str(expected), NONE if got is None else str(got), text
        )
    return result


def below_target(result: Score, labels: list[str] | None = None) -> list[str]:
    """Labels whose precision or recall is under TARGET."""
    return [
        label
        for label in labels or result.labels
        if result.precision(label) < TARGET or result.recall(label) < TARGET
    ]
