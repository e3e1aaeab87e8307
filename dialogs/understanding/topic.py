"""What a question asks about, when it is one the knowledge base answers.

The classifier also knows questions with no topic we can answer (`none`). A topic is returned
only when it is the classifier's best guess and its probability is at least TOPIC_THRESHOLD:
below that the bot says honestly that it does not know, rather than answer another question."""

from __future__ import annotations

from dialogs.understanding.classifiers import Reader, reader
from dialogs.understanding.normalise import normalise
from dialogs.understanding.types import Topic

NO_TOPIC = "none"
TOPIC_THRESHOLD = 0.2  # best macro F1 cross-validated on the training part (bench/understanding.py)


def read_topic(
    text: str, model: Reader | None = None, threshold: float = TOPIC_THRESHOLD
) -> Topic | None:
    belief = (model or reader("topics")).beliefs(normalise(text))
    best = max(belief, key=belief.__getitem__)
    if best == NO_TOPIC or belief[best] < threshold:
        return None
    return Topic(best)
