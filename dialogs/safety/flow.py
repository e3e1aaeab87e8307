"""How the engine meets the safety screen: a hit (or /sos) moves the client into the safety
flow from wherever they were, remembering that place so they can go back to it. The engine
screens each text with `screen_inbound` and calls `enter` on a hit; the rest (/sos, the
templates' values, a typed answer to the direct question) goes through `FEATURE`, at the end."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Final

from dialogs.events import Inbound, InboundKind
from dialogs.model import CountrySet, DialogModel, SafetyConfirmed
from dialogs.safety.resources import country_from_locale, find_country, view
from dialogs.safety.screen import Category, classifier, normalise, rules, screen
from dialogs.turn import Feature, TurnContext
from dialogs.understanding.knowledge import answer_template
from dialogs.understanding.types import Topic

log = logging.getLogger(__name__)

SAFETY = "safety"
SOS = "sos"  # the /sos command: the same resources and check, without a screen hit
CHECK, PAST_CHECK, DIRECT_CHECK = "check", "past_check", "direct_check"
OPENINGS = {  # what is said first, before the numbers
    "suicide": ("safety/suicide",),
    "overdose": ("safety/overdose", "safety/overdose_help"),
    "medical": ("safety/medical", "safety/medical_help"),
    "violence": ("safety/violence", "safety/violence_help"),
    SOS: ("safety/sos",),
}
RESOURCES = "safety/resources"
PAST_REFLECTION = "safety/past_reflect"
# Questions a hard time in the past also answers ("nearly died in march" to what is less good):
# after the gentle check it is taken up there. Elsewhere the question is asked again.
HARD: Final = frozenset({("relationship", "less_good"), ("relationship", "days")})
POSSIBLE_REFLECTION = "safety/possible_reflect"
QUIET_AFTER_NO = 10  # texts after a "no" to the direct question before a weaker sign asks again


@dataclass(frozen=True)
class SafetyHit:
    """A screen hit to record with the turn: what kind, and which rule (never the words)."""

    category: str
    signal: str

    @property
    def recorded(self) -> bool:
        """A question about an emergency is answered, not kept as a safety event."""
        return self.category != Category.INFO


def warm_up() -> None:
    """Compile the rules and learn the second opinion now (about 0.1 s), not in a client's turn."""
    rules()
    classifier()


# Questions whose answer is a reason, a hope or what would help: a danger word there is most
# often a reason ("so i dont end up dead"); the second opinion's hunches ask nothing there.
REASON_STATES = frozenset(
    {
        ("agenda", "hopes"),
        ("agenda", "aim"),
        ("relationship", "good"),
        ("relationship", "less_good"),
        ("interest", "unsure"),
        ("change", "own_words"),
        ("change", "importance_why"),
        ("change", "importance_up"),
        ("change", "confidence_why"),
        ("change", "confidence_up"),
        ("meaning", "ask"),
        ("meaning", "step"),
        ("step", "ask"),
        ("checkin", "helped"),
        ("checkin", "in_the_way"),
        ("checkin", "learned"),
    }
)


def screen_inbound(inbound: Inbound, model: DialogModel) -> SafetyHit | None:
    """Screen a typed text; buttons, commands and media carry no words of the client's. A weaker
    sign asks nothing more while the client is in the safety flow (being looked after), nor for
    `QUIET_AFTER_NO` texts after they answered the direct question with no (the same question
    again and again would be a form to fill in, not a conversation; /sos is one tap away). A
    crisis signal is met in full whatever came before."""
    if inbound.kind is not InboundKind.TEXT or not inbound.text.strip():
        return None
    safety: dict[str, Any] = model.context.get(SAFETY) or {}
    quiet = int(safety.get("quiet", 0))
    if quiet:
        safety["quiet"] = quiet - 1
    found = screen(inbound.text, answering_reason=(model.flow, model.state) in REASON_STATES)
    if found is None or (found.category is Category.POSSIBLE and (quiet or model.flow == SAFETY)):
        return None
    log.info("safety screen: %s (%s)", found.category.value, found.signal)  # never the words
    return SafetyHit(found.category.value, found.signal)


_OPENERS = r"(?:(?:what|huh|eh|wtf|lol|haha|god|hell|oh|um|erm|mate|jesus|omg|wait|sorry|ha)\s+)*"
_NO = re.compile(
    _OPENERS + r"(?:no|nope|nah|naw|nay|not really|not at all|never|of course not|absolutely not|"
    r"definitely not|no way|no chance|i am not|i do not think so|i am (?:fine|ok|okay|good|"
    r"alright|safe)|not like that|that is not what i meant)\b|.*\bnot (?:suicidal|like that)\b"
)
_YES = re.compile(r"(?:yes|yeah|yep|yup|ya|yea|i am|i think so|i have)\b")
_HEDGE = re.compile(
    r"\b(?:sure|sometimes|maybe|but|kind of|kinda|a bit|a little|know|bit|idk|dunno|perhaps|"
    r"probably|not always|used to|sort of|sorta)\b"
)


def direct_answer(text: str) -> str:
    """The answer typed to the direct question: a clear no, a clear yes, and anything else
    (a hedge, a question back, other words) is met as "not sure": never dismissed by text."""
    plain = normalise(text)
    if _NO.match(plain) and not _HEDGE.search(plain):
        return "concern_no"
    if _YES.match(plain) and not _HEDGE.search(plain) and " not " not in f" {plain} ":
        return "concern_yes"
    return "concern_unsure"


def answers_direct_question(model: DialogModel) -> bool:
    return model.flow == SAFETY and model.state == DIRECT_CHECK


def enter(run: TurnContext, category: str, signal: str = "") -> None:
    """Move into the safety flow and say what comes first; the caller then asks its question.
    A question about an emergency (INFO, `signal` naming its topic) gets its answer instead,
    and the client stays where they were."""
    if category == Category.INFO:
        run.say(answer_template(Topic(signal)))
        return
    model = run.model
    safety: dict[str, Any] = model.context.setdefault(SAFETY, {})
    if model.flow != SAFETY:
        safety["return"] = {"flow": model.flow, "state": model.state}
    safety["category"] = category
    safety["unmatched"] = False
    chosen = run.client.country
    safety["country"] = chosen or country_from_locale(run.inbound.locale)
    safety["guessed"] = chosen is None and safety["country"] is not None
    answer = model.consented and run.inbound.kind is InboundKind.TEXT
    was = (model.flow, model.state)
    if answer and (category == Category.POSSIBLE or (category == Category.PAST and was in HARD)):
        safety["pending"] = run.inbound.text  # the answer it also was, taken up after
    if category == Category.PAST:
        run.move(SAFETY, PAST_CHECK)
        run.say(PAST_REFLECTION)
        return
    if category == Category.POSSIBLE:  # no numbers yet: first ask, directly and kindly
        run.move(SAFETY, DIRECT_CHECK)
        run.say(POSSIBLE_REFLECTION)
        return
    run.move(SAFETY, CHECK)
    for template in OPENINGS[category]:
        run.say(template)
    run.say(RESOURCES)


def values(context: dict[str, Any]) -> dict[str, Any]:
    """What every template may show of the safety flow: category, country, the numbers."""
    safety = context.get(SAFETY) or {}
    category = safety.get("category") or SOS
    return {
        "category": category,
        "guessed": bool(safety.get("guessed")),
        "unmatched": bool(safety.get("unmatched")),
        **view(safety.get("country"), category),
    }


# -- named actions and guards for safety.yaml --------------------------------------------------


def set_country(model: DialogModel, _: None) -> None:
    """The country the client typed, remembered on the client; an unknown one keeps the last."""
    safety = model.context.setdefault(SAFETY, {})
    code = find_country(model.text or "")
    safety["unmatched"] = code is None
    if code is not None:
        safety["country"], safety["guessed"] = code, False
        model.effects.append(CountrySet(code))


def confirm_concern(model: DialogModel, _: None) -> None:
    """A yes or a not sure to the direct question: the full safety response, recorded and
    alerted as a suicide or self-harm event."""
    safety = model.context.setdefault(SAFETY, {})
    safety["category"] = Category.SUICIDE.value
    safety.pop("pending", None)  # a concern, not an answer to take up later
    model.effects.append(SafetyConfirmed(Category.SUICIDE.value, f"direct_check.{model.choice}"))


def concern_declined(model: DialogModel, _: None) -> None:
    """A no to the direct question: believed, and not asked again for a while."""
    model.context.setdefault(SAFETY, {})["quiet"] = QUIET_AFTER_NO


def resume_before_safety(model: DialogModel, _: None) -> None:
    safety = model.context.get(SAFETY) or {}
    back = safety.pop("return", None)
    if back:
        model.jump = (back["flow"], back["state"])
    safety.pop("pending", None)


def take_up_pending(model: DialogModel, _: None) -> None:
    """A no to a mistaken check, or carrying on after a past mention: back where the client
    was, with the message that caused the check taken up as the answer they meant it to be
    (the engine replays it there)."""
    safety = model.context.get(SAFETY) or {}
    model.replay = safety.pop("pending", None)
    resume_before_safety(model, None)


def has_return(model: DialogModel, _: None) -> bool:
    return bool((model.context.get(SAFETY) or {}).get("return"))


# -- the engine's hooks ------------------------------------------------------------------------


def sos(run: TurnContext, _: str) -> None:
    enter(run, SOS)


def read_direct_answer(run: TurnContext, text: str) -> str | None:
    """A typed answer to the direct question: a hedge is never a "no", nor "please choose"."""
    if answers_direct_question(run.model) and not text.strip().isdigit():
        return direct_answer(text)
    return None


def template_values(run: TurnContext) -> dict[str, Any]:
    return {"safety": values(run.model.context)}


FEATURE = Feature(
    name="safety",
    flows=(SAFETY,),
    commands={SOS: sos},
    warm_up=warm_up,
    read_choice=read_direct_answer,
    template_values=template_values,
)
