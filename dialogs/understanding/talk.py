"""The kind of talk in an answer (motivational interviewing): change talk (desire, ability,
reasons, need, commitment, steps taken), sustain talk (the same for things staying as they are),
or neither. Read only where the person said something of their own (see `understand`)."""

from __future__ import annotations

from dialogs.understanding.classifiers import Reader, reader
from dialogs.understanding.normalise import normalise
from dialogs.understanding.types import Talk


def read_talk(text: str, model: Reader | None = None) -> Talk:
    belief = (model or reader("talk")).beliefs(normalise(text))
    return Talk(max(belief, key=belief.__getitem__))
