"""What the client's own words say the subject is, where it matters for what the bot offers.

Stopping alcohol or benzodiazepines suddenly after heavy daily use can be medically dangerous
(withdrawal seizures, delirium tremens), so a goal to stop, cut down or take a break from them
is met with an offer of that information (CLINICAL.md: information only with permission). The
names and slang are the understanding step's lexicon (dialogs/understanding/subjects.yaml)."""

from __future__ import annotations

from dialogs.understanding.subjects import families, find_subject

WITHDRAWAL_OPTIONS = frozenset({"stop", "less", "breaks"})
WITHDRAWAL_FAMILIES = frozenset({"alcohol", "benzodiazepines"})


def mentions_withdrawal_risk(*texts: str) -> bool:
    """Whether any of the client's texts names alcohol or a benzodiazepine."""
    for text in texts:
        named = find_subject(text) if text else None
        if named is not None and WITHDRAWAL_FAMILIES.intersection(families(named.word)):
            return True
    return False
