"""The kind of talk in an answer (motivational interviewing): change talk (desire, ability,
reasons, need, commitment, steps taken), sustain talk (the same for things staying as they are),
or neither. Read only where the person said something of their own (see `understand`).

Change talk is what the bot reflects (`dialogs/hearing.py`: `deepen`), so a false one costs most:
it is returned only when its probability is at least CHANGE_THRESHOLD, otherwise the likelier
of the other two."""

from __future__ import annotations

from dialogs.understanding.classifiers import Reader, reader
from dialogs.understanding.normalise import normalise
from dialogs.understanding.types import Talk

CHANGE_THRESHOLD = 0.5  # cross-validated 0, 0.4, 0.5, 0.6 on the training part (bench)


def read_talk(text: str, model: Reader | None = None, threshold: float = CHANGE_THRESHOLD) -> Talk:
    belief = (model or reader("talk")).beliefs(normalise(text))
    if belief[Talk.CHANGE] < threshold:
        del belief[Talk.CHANGE]
    return Talk(max(belief, key=belief.__getitem__))
