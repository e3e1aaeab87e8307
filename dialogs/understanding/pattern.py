"""Whether a text describes how much or how often someone uses ("8-10 pints fri and sat",
"about a gram a day", "couple of hours gaming most nights") and says nothing of what they want.

Asked what they hope for, many people first say where things are; that answer is a picture of
now, not an aim, and reflected as an aim it tells them they were not heard."""

from __future__ import annotations

import re
from typing import Final

from dialogs.understanding.normalise import normalise

_COUNT: Final = (
    r"(?:\d+(?:[.,]\d+)?(?:\s*(?:-|to|or)\s*\d+(?:[.,]\d+)?)?|half|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|twelve|twenty|a few|few|a couple(?: of)?|couple(?: of)?|a|an|"
    r"several|loads of|lots of|a bunch of|a lot of)"
)
_UNIT: Final = (
    r"(?:pints?|cans?|beers?|bottles?|glass(?:es)?|units?|drinks?|shots?|doubles?|litres?|"
    r"liters?|ml|cl|grams?|g|gs|gram|oz|eighths?|8ths?|lines?|bumps?|pills?|tabs?|caps?|"
    r"bags?|points?|spliffs?|joints?|zoots?|bongs?|cones?|bowls?|blunts?|cigs?|cigarettes?|"
    r"fags?|packs?|pouches?|puffs?|hits?|pods?|vapes?|tins?|bets?|spins?|quid|pounds?|"
    r"dollars?|bucks?|euros?|hours?|hrs?|scratchcards?|mg)"
)
_AMOUNT: Final = re.compile(
    rf"(?:[£$€]\s*\d+|\b{_COUNT}(?:\s+|(?<=\d))(?:\w+\s+)?{_UNIT}\b)"  # "8-10 pints", "2g", "£50"
)
_HOW_OFTEN: Final = re.compile(
    r"\b(?:every ?day|every (?:night|morning|evening|weekend)|daily|nightly|"
    r"(?:most|some|all|few|every other) "
    r"(?:days?|nights?|evenings?|mornings?|weekends?|weeknights?)|"
    r"(?:a|per|each) (?:day|night|week|weekend|month)|weekends?|weeknights?|"
    r"(?:on )?(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|"
    r"fri|sat|sun)(?: nights?)?)\b"
)
SHORT_WORDS: Final = 6  # an amount alone ("3-4 beers", "about a gram") is a picture of now
# Any word of wanting, aiming or a change: then the text says what they hope for after all.
_AIM: Final = re.compile(
    r"\b(?:want\w*|wanna|hop(?:e|es|ed|ing)|wish\w*|would like|id like|like to|love to|"
    r"aim\w*|goal|try(?:ing)?|plan\w*|cut\w*|stop\w*|quit\w*|less|fewer|reduce\w*|"
    r"control\w*|safe\w*|manag\w*|moderat\w*|sober|clean|break|change\w*|help\w*|"
    r"figure|understand|better|healthier|keep|same|enough|dunno|idk|not sure)\b"
)


def describes_use(text: str) -> bool:
    """An amount or a rhythm of use, with no word of what the person wants."""
    plain = normalise(text)
    if _AIM.search(plain):
        return False
    amounts = _AMOUNT.findall(plain)
    if not amounts:
        return False
    # "3-4 beers" alone, or an amount with how often ("a few cans most weeknights").
    return len(plain.split()) <= SHORT_WORDS or len(amounts) > 1 or bool(_HOW_OFTEN.search(plain))
