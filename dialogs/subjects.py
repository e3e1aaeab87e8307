"""What the client's own words say the subject is, where it matters for what the bot offers.

Stopping alcohol or benzodiazepines suddenly after heavy daily use can be medically dangerous
(withdrawal seizures, delirium tremens), so a goal to stop, cut down or take a break from them
is met with an offer of that information (CLINICAL.md: information only with permission)."""

from __future__ import annotations

import re

WITHDRAWAL_OPTIONS = frozenset({"stop", "less", "breaks"})

_ALCOHOL = (
    r"alcohol\w*|drink\w*|drank|drunk|booze\w*|boozing|beers?|wines?|vodka|whisk(?:e)?y|gin|rum|"
    r"tequila|spirits|liquor|lager|ciders?|cans|pints?|sake|bourbon|brandy|cognac|prosecco|"
    r"champagne|cocktails?|hard seltzer"
)
_BENZOS = (
    r"benzos?|benzodiazepines?|xanax|xannies|xans?|valium|diazepam|alprazolam|lorazepam|ativan|"
    r"klonopin|clonazepam|rivotril|temazepam|restoril|oxazepam|chlordiazepoxide|librium|"
    r"etizolam|bromazolam|flualprazolam|nitrazepam|bars|downers|tranquill?izers?|sleeping pills?"
)
_WITHDRAWAL_RISK = re.compile(rf"\b(?:{_ALCOHOL}|{_BENZOS})\b", re.IGNORECASE)


def mentions_withdrawal_risk(*texts: str) -> bool:
    """Whether any of the client's texts names alcohol or a benzodiazepine."""
    return any(_WITHDRAWAL_RISK.search(text) for text in texts if text)
