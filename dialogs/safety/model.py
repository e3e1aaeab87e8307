"""A second opinion for the safety screen: a naive Bayes classifier over words and word pairs,
learnt at first use from the labelled messages in `labelled/*.yaml` (the same ones the rules
were written against; the held-out set in tests/safety never enters it).

The rules catch what they were written for and little else; this catches more of what nobody
wrote a rule for, at the price of some false alarms. It speaks only when the rules found
nothing, and only when it is very sure (`THRESHOLD`, chosen by cross-validation: see
bench/safety_screen.py). Deterministic: the same messages always teach the same counts."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dialogs.yamlfile import load_yaml

LABELLED = Path(__file__).parent / "labelled"
CRISIS_LABELS = ("suicide", "overdose", "medical", "violence")
THRESHOLD = 0.99  # the share of belief in some crisis category needed to raise an alarm
SMOOTHING = 0.5


def labelled_messages(directory: Path = LABELLED) -> list[tuple[str, str]]:
    """(label, message) pairs from every labelled set, in a stable order."""
    pairs: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.yaml")):
        data = load_yaml(path)
        pairs.extend((label, str(m)) for label, messages in data.items() for m in messages)
    return pairs


def features(plain: str) -> set[str]:
    """Words and word pairs of a normalised text."""
    words = plain.split()
    return {*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))}


@dataclass(frozen=True)
class Opinion:
    category: str  # the most likely crisis category
    belief: float  # the share of belief in any crisis category, 0..1


class Classifier:
    """Multinomial naive Bayes on the presence of features, with add-`SMOOTHING` counts."""

    def __init__(self, examples: list[tuple[str, set[str]]]) -> None:
        self.labels = sorted({label for label, _ in examples})
        counts = Counter(label for label, _ in examples)
        self.prior = {label: math.log(counts[label] / len(examples)) for label in self.labels}
        seen: dict[str, Counter[str]] = {label: Counter() for label in self.labels}
        for label, found in examples:
            seen[label].update(found)
        self.vocabulary = frozenset(f for counter in seen.values() for f in counter)
        self.log_chance: dict[str, dict[str, float]] = {}
        self.log_unseen: dict[str, float] = {}
        for label in self.labels:
            total = sum(seen[label].values()) + SMOOTHING * len(self.vocabulary)
            self.log_chance[label] = {
                f: math.log((n + SMOOTHING) / total) for f, n in seen[label].items()
            }
            self.log_unseen[label] = math.log(SMOOTHING / total)

    def beliefs(self, found: set[str]) -> dict[str, float]:
        known = found & self.vocabulary
        scores = {
            label: self.prior[label]
            + sum(self.log_chance[label].get(f, self.log_unseen[label]) for f in known)
            for label in self.labels
        }
        top = max(scores.values())
        weights = {label: math.exp(score - top) for label, score in scores.items()}
        total = sum(weights.values())
        return {label: weight / total for label, weight in weights.items()}

    def opinion(self, found: set[str]) -> Opinion:
        beliefs = self.beliefs(found)
        crisis = {label: beliefs.get(label, 0.0) for label in CRISIS_LABELS}
        return Opinion(category=max(crisis, key=crisis.__getitem__), belief=sum(crisis.values()))


def train(plain: Callable[[str], str], examples: list[tuple[str, str]]) -> Classifier:
    """A classifier learnt from (label, message) pairs, read the way `plain` reads them."""
    return Classifier([(label, features(plain(message))) for label, message in examples])
