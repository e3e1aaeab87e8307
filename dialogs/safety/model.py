"""A second opinion for the safety screen: scikit-learn's logistic regression on word and
character n-grams, learnt at first use from the labelled messages in `labelled/*.yaml` (the
same ones the rules were written against; the held-out sets in tests/safety never enter it).

The rules catch what they were written for and little else; this catches some of what nobody
wrote a rule for, at the price of some false alarms. It speaks only when the rules found
nothing, and only when it is very sure: `THRESHOLD` was chosen by ten-fold cross-validation on
the labelled sets (bench/safety_screen.py --thresholds) as the lowest belief at which ordinary
messages are flagged at most 0.5% of the time. Deterministic: the same messages always teach
the same model (lbfgs, no random state involved)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from dialogs.yamlfile import load_yaml

LABELLED = Path(__file__).parent / "labelled"
CRISIS_LABELS = ("suicide", "overdose", "medical", "violence")
THRESHOLD = 0.9  # the share of belief in some crisis category needed to speak
# Belief in suicide, alone, at which the bot asks directly ("are you having thoughts of ending
# your life?") instead of staying silent: an indirect sign is met with a question, not an alarm.
ASK_THRESHOLD = 0.7
REGULARISATION = 4.0  # LogisticRegression's C: less smoothing than the default 1.0


def labelled_messages(directory: Path = LABELLED) -> list[tuple[str, str]]:
    """(label, message) pairs from every labelled set, in a stable order."""
    pairs: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.yaml")):
        data = load_yaml(path)
        pairs.extend((label, str(m)) for label, messages in data.items() for m in messages)
    return pairs


@dataclass(frozen=True)
class Opinion:
    category: str  # the most likely crisis category
    belief: float  # the share of belief in any crisis category, 0..1
    suicide: float = 0.0  # the share of belief in suicide alone


class Classifier:
    """Word (1-2) and character (2-5, within words) TF-IDF n-grams, one logistic regression
    over the labels (crisis categories, past and ordinary), classes weighted to balance."""

    def __init__(
        self,
        examples: Sequence[tuple[str, str]],
        threshold: float = THRESHOLD,
        ask_threshold: float = ASK_THRESHOLD,
    ) -> None:
        """`examples`: (label, normalised text) pairs. `threshold`: the belief in a crisis
        needed to raise one; `ask_threshold`: the belief in suicide needed to ask directly."""
        self.threshold, self.ask_threshold = threshold, ask_threshold
        self.pipeline = Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                            (
                                "chars",
                                TfidfVectorizer(
                                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
                                ),
                            ),
                        ]
                    ),
                ),
                (
                    "model",
                    LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000),
                ),
            ]
        )
        with threadpool_limits(limits=1):  # BLAS threads on a busy machine: 25x slower
            self.pipeline.fit([text for _, text in examples], [label for label, _ in examples])
        self.labels: list[str] = [str(label) for label in self.pipeline.classes_]

    def beliefs(self, plain: str) -> dict[str, float]:
        row = self.pipeline.predict_proba([plain])[0]  # sparse products: no BLAS threads
        return {label: float(p) for label, p in zip(self.labels, row, strict=True)}

    def opinion(self, plain: str) -> Opinion:
        beliefs = self.beliefs(plain)
        crisis = {label: beliefs.get(label, 0.0) for label in CRISIS_LABELS}
        return Opinion(
            category=max(crisis, key=crisis.__getitem__),
            belief=sum(crisis.values()),
            suicide=crisis["suicide"],
        )


def train(plain: Callable[[str], str], examples: Sequence[tuple[str, str]]) -> Classifier:
    """A classifier learnt from (label, message) pairs, read the way `plain` reads them."""
    return Classifier([(label, plain(message)) for label, message in examples])
