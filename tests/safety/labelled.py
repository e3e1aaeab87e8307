"""The labelled messages (dialogs/safety/labelled/*.yaml, and the held-out set here), and how the
screen scores on them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dialogs.safety import screen
from dialogs.safety.model import Classifier

HERE = Path(__file__).parent
TUNED_DIR = Path(__file__).parents[2] / "dialogs" / "safety" / "labelled"
TUNED = (  # the rules were written against these, round by round
    "messages",
    "second_round",
    "third_round",
    "fourth_round",
    "fifth_round",
    "sixth_round",
    "seventh_round",
    "ordinary_from_scripts",
)
# Sets that teach the second opinion only: written from warning-sign concepts, no rule was written
# against them, so they are not among the sets the rules must meet.
MODEL_ONLY = ("eighth_round",)
HOLDOUT = "holdout"  # written after the last change to the rules, never used to tune them
ORDINARY_SET = "ordinary_conversation"  # 1,350 ordinary messages from every state (issue 9)
HOLDOUTS = (
    HOLDOUT,
    "holdout_2",
    "holdout_3",
    "holdout_4",
    "holdout_5",
    "holdout_6",
    "holdout_7",
    "holdout_8",
    ORDINARY_SET,
)
SEEN = "written before the rules it first measured; its misses then shaped the concept rules"
HOLDOUT_NOTES = {  # what each held-out set's figures mean now
    HOLDOUT: SEEN,
    "holdout_2": SEEN,
    "holdout_3": "never used to change the rules before issue 9; measured untouched then",
    "holdout_4": "written blind before issue 9's rules; its misses then shaped them",
    "holdout_5": "written blind after issue 9's first rules; its misses later shaped rules",
    "holdout_6": "written blind; measured once untouched, then its misses shaped rules",
    "holdout_7": "written blind after the ask tier; measured once, then its misses shaped rules",
    "holdout_8": "written blind before holdout_7's rules; measured before and after, misses unread",
    ORDINARY_SET: "written blind before issue 9's rules; its misses read twice, asking tuned on it",
}
ORDINARY = "ordinary"
POSSIBLE = "possible"  # the screen's answer for a weaker sign; not a label of the sets
CRISIS = ("suicide", "overdose", "medical", "violence")
LABELS = (*CRISIS, "past", ORDINARY)


def load(*names: str) -> list[tuple[str, str]]:
    """(label, message) pairs from the named sets."""
    pairs: list[tuple[str, str]] = []
    for name in names:
        path = TUNED_DIR / f"{name}.yaml" if name in TUNED + MODEL_ONLY else HERE / f"{name}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(data) - set(LABELS)
        assert not unknown, f"{name}.yaml: unknown labels {unknown}"
        pairs.extend(
            (label, str(message)) for label, messages in data.items() for message in messages
        )
    return pairs


@dataclass
class Score:
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    alarmed: Counter[str] = field(default_factory=Counter)  # flagged as any crisis category
    checked: Counter[str] = field(default_factory=Counter)  # met with a direct question instead
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (label, got, message)

    def recall(self, label: str) -> float:
        """Messages of this label found in this very category."""
        return self.right[label] / self.total[label] if self.total[label] else float("nan")

    def alarm_recall(self, label: str) -> float:
        """Messages of this label that start the safety flow at all, whatever the category."""
        return self.alarmed[label] / self.total[label] if self.total[label] else float("nan")

    def response_recall(self, label: str) -> float:
        """Messages of this label met with any safety response: an alarm or a direct question."""
        met = self.alarmed[label] + self.checked[label]
        return met / self.total[label] if self.total[label] else float("nan")

    @property
    def false_alarms(self) -> int:
        """Ordinary messages met with an alarm or a past-mention check (not a direct question)."""
        return self.total[ORDINARY] - self.right[ORDINARY] - self.checked[ORDINARY]

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.total[ORDINARY] if self.total[ORDINARY] else float("nan")

    @property
    def direct_check_rate(self) -> float:
        """Ordinary messages met with the direct question ("are you having thoughts of...")."""
        checked = self.checked[ORDINARY]
        return checked / self.total[ORDINARY] if self.total[ORDINARY] else float("nan")


def score(pairs: list[tuple[str, str]], model: Classifier | None = None) -> Score:
    result = Score()
    for label, message in pairs:
        found = screen(message, model)
        got = found.category.value if found and found.category != "info" else ORDINARY
        result.total[label] += 1
        result.alarmed[label] += got in CRISIS
        result.checked[label] += got == POSSIBLE
        if got == label:
            result.right[label] += 1
        else:
            result.misses.append((label, got, message))
    return result
