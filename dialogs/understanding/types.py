"""What the understanding step returns: the kinds of things it recognises in a text."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Intent(StrEnum):
    ANSWER = "answer"  # content that answers the pending question
    NON_ANSWER = "non_answer"  # "idk", "k", "whatever", "nothing", "dunno"
    STOP = "stop"  # stop, pause, enough for today, bye
    QUESTION = "question"  # asks for information ("where do u even get narcan")
    ALREADY_TOLD = "already_told"  # "i told u", "i already said"
    CORRECTION = "correction"  # "no i meant weed", "thats not what i said"
    TALK = "talk"  # wants to talk, lonely, venting
    FRUSTRATION = "frustration"  # "you're just a bot", "stop asking me questions"
    FEELING = "feeling"  # a feeling about themselves ("feel like such a piece of shit")


class Polarity(StrEnum):
    """A typed answer to a closed question, whatever its buttons are called."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"
    SAFER = "safer"  # "just safer": a full answer to "would you like anything to change?"


class Talk(StrEnum):
    CHANGE = "change"  # desire, ability, reasons, need, commitment to change
    SUSTAIN = "sustain"  # for things staying as they are
    NEUTRAL = "neutral"


class Topic(StrEnum):
    """What a question asks about: each has a sourced answer in prompts/<locale>/knowledge/."""

    NALOXONE = "naloxone"  # what it is, where people get it
    OVERDOSE_RESPONSE = "overdose_response"  # what to do when someone overdoses
    USING_ALONE = "using_alone"  # never use alone, spotting lines, fentanyl in the supply
    DRUG_CHECKING = "drug_checking"  # drug checking services, test strips
    MIXING = "mixing"  # mixing depressants (alcohol, benzos, opioids, GHB)
    ALCOHOL_WITHDRAWAL = "alcohol_withdrawal"  # shakes, seizures, when to see a doctor
    BENZO_WITHDRAWAL = "benzo_withdrawal"  # tapering, seizures, when to see a doctor
    CANNABIS_WITHDRAWAL = "cannabis_withdrawal"  # sleep, irritability, how long it lasts
    STIMULANTS_SLEEP = "stimulants_sleep"  # comedown, sleep, water, heart
    GAMBLING_LIMITS = "gambling_limits"  # gambling and gaming: limits, breaks, blocking
    PRIVACY = "privacy"  # "will they see this", "who reads this"
    THE_BOT = "the_bot"  # "are you a real person", "what are you"


@dataclass(frozen=True)
class Subject:
    word: str  # the client's word, made fit to use in a sentence ("heroin", "drinking")
    sure: bool  # False: the bot asks to confirm before using it


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    polarity: Polarity | None = None  # a typed yes/no/not sure/safer, if it reads as one
    score: int | None = None  # a ruler answer 0..10, from digits or words
    subject: Subject | None = None
    talk: Talk = Talk.NEUTRAL
    topic: Topic | None = None  # for a question we can answer
    areas: tuple[str, ...] = field(default=())  # life areas touched: sleep, money, work, ...
    phrase: str | None = None  # a short paraphrase in the bot's voice ("you feel groggy at work")
