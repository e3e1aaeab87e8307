"""The three learnt steps (intent, kind of talk, question topic): one scikit-learn pipeline each,
learnt at first use from `data/train` and kept for the life of the process.

Word n-grams (1-2) carry the meaning; character n-grams (2-5, within word bounds) carry what
people actually type (typos, "u", "dont", "narcn"). Logistic regression with balanced class
weights gives probabilities the caller can hold to a threshold. Deterministic: the same data
always learns the same model (lbfgs has no random state).

Learning runs with BLAS held to one thread: on a small, busy machine OpenBLAS's own threads
made the same fit twenty times slower. Reading one message goes through `Reader`, which reads
the fitted pipeline's own analyzers, vocabularies, idf weights and coefficients and scores only
the features the message has: the same probabilities as `predict_proba` (a test holds them
equal), in a few hundredths of a millisecond instead of about one."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from dialogs.understanding.data import Part, Task, labelled
from dialogs.understanding.normalise import negated, normalise


@dataclass(frozen=True)
class Settings:
    """How one step learns: the regularisation C, and whether the word n-grams read words after
    a negator as negated ("dont want" apart from "want"; `normalise.negated`)."""

    C: float = 10.0
    negation: bool = True


# Chosen by 5-fold cross-validation on the training part only (bench/understanding.py prints
# the grid): C from 3, 10, 30, 100, with and without negation marking.
SETTINGS: dict[Task, Settings] = {
    "intents": Settings(C=30.0, negation=True),
    "talk": Settings(C=100.0, negation=True),
    "topics": Settings(C=10.0, negation=True),
}


def pipeline(settings: Settings = Settings()) -> Pipeline:
    words = TfidfVectorizer(
        preprocessor=negated if settings.negation else normalise,
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a password)
        sublinear_tf=True,
    )
    chars = TfidfVectorizer(
        preprocessor=normalise, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
    )
    model = LogisticRegression(class_weight="balanced", C=settings.C, max_iter=2000)
    return Pipeline(
        [("features", FeatureUnion([("words", words), ("chars", chars)])), ("model", model)]
    )


def train(pairs: list[tuple[str, str]], settings: Settings = Settings()) -> Pipeline:
    model = pipeline(settings)
    with threadpool_limits(limits=1):
        model.fit([text for _, text in pairs], [label for label, _ in pairs])
    return model


class Reader:
    """A fitted pipeline's probabilities for one text, computed from its own parts."""

    def __init__(self, model: Pipeline) -> None:
        union: FeatureUnion = model.named_steps["features"]
        regression: LogisticRegression = model.named_steps["model"]
        self.labels: tuple[str, ...] = tuple(str(label) for label in regression.classes_)
        weights: Any = regression.coef_.T  # one row a feature, one column a label
        self.intercept: Any = regression.intercept_
        self.blocks: list[tuple[Callable[[str], list[str]], dict[str, int], Any, Any]] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            vocabulary: dict[str, int] = vectorizer.vocabulary_
            size = len(vocabulary)
            self.blocks.append(
                (
                    vectorizer.build_analyzer(),
                    vocabulary,
                    vectorizer.idf_,
                    np.ascontiguousarray(weights[offset : offset + size]),
                )
            )
            offset += size

    def beliefs(self, text: str) -> dict[str, float]:
        scores: Any = self.intercept.copy()
        for analyse, vocabulary, idf, weights in self.blocks:
            counts = Counter(i for gram in analyse(text) if (i := vocabulary.get(gram)) is not None)
            if not counts:
                continue
            index = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(
                (1.0 + math.log(n) for n in counts.values()), dtype=float, count=len(counts)
            )
            values = tf * idf[index]
            values /= np.sqrt(values @ values)
            scores = scores + values @ weights[index]
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return {label: float(p) for label, p in zip(self.labels, scores, strict=True)}


@cache
def trained(task: Task, part: Part = "train") -> Pipeline:
    """The classifier for a task, learnt once per process."""
    return train(labelled(part, task), SETTINGS[task])


@cache
def reader(task: Task) -> Reader:
    return Reader(trained(task))
