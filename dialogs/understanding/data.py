"""The labelled utterances beside this module: `data/train` (what the classifiers learn from and
the rules were written against) and `data/heldout` (written first, never learnt from: the bench
and the tests measure on it). Each file maps a label to the texts that carry it; scores.yaml
maps a text to the score it should read as (null: none)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dialogs.yamlfile import load_yaml

DATA = Path(__file__).parent / "data"
Part = Literal["train", "heldout"]
Task = Literal["intents", "talk", "topics", "polarity"]


def files(part: Part, task: Task) -> list[Path]:
    """A task's files in a part: `intents.yaml`, then later rounds (`intents_2.yaml`, ...)."""
    return [DATA / part / f"{task}.yaml", *sorted((DATA / part).glob(f"{task}_*.yaml"))]


def labelled(part: Part, task: Task) -> list[tuple[str, str]]:
    """(label, text) pairs in file order: the same data always gives the same pairs."""
    return [
        (str(label), str(text))
        for path in files(part, task)
        for label, texts in load_yaml(path).items()
        for text in texts
    ]


def rounds(part: Part, task: Task) -> list[tuple[str, list[tuple[str, str]]]]:
    """A task's files in a part one by one (each a round of writing): (file stem, pairs)."""
    return [
        (
            path.stem,
            [(str(label), str(text)) for label, texts in load_yaml(path).items() for text in texts],
        )
        for path in files(part, task)
    ]


def scored(part: Part) -> list[tuple[str, int | None]]:
    data = load_yaml(DATA / part / "scores.yaml")
    return [(str(text), None if score is None else int(score)) for text, score in data.items()]


def every_text(part: Part) -> list[str]:
    """Every utterance of a part, whatever it is labelled for."""
    tasks: tuple[Task, ...] = ("intents", "talk", "topics", "polarity")
    return [text for task in tasks for _, text in labelled(part, task)] + [
        text for text, _ in scored(part)
    ]
