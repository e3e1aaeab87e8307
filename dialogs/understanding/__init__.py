"""The understanding step: what a client's text means, read after the safety screen and before
the state's handler. It never writes the bot's words (every word is still a template); it says
what it understood, and the engine decides what to do with it.

A pipeline of small named steps, each with its own labelled data beside it (cf. Rasa's NLU):
normalise -> intent -> typed answer (polarity, score) -> subject -> kind of talk -> question
topic -> life areas -> a short paraphrase to reflect."""

from dialogs.understanding.types import Intent, Polarity, Subject, Talk, Topic, Understanding
from dialogs.understanding.understand import understand, warm_up

__all__ = [
    "Intent",
    "Polarity",
    "Subject",
    "Talk",
    "Topic",
    "Understanding",
    "understand",
    "warm_up",
]
