"""A person from the team in the chat (issue 12), the bot's side.

The client asks for a person ("can i talk to a real person", "is this a bot": the understanding
step's `asks_for_person`), or a counselor offers from the dashboard; either way the bot says
plainly what it means and asks (the `handoff` flow), and only a yes lets a counselor take the
chat. While a counselor holds it, the client's words go to them and the bot says nothing: no
flow moves and no check-in or urge step is sent. The safety screen still runs first on every
message (the engine runs it before any feature), and a safety flow it starts runs in full;
commands (/sos, /privacy, /forget) are still answered. When the counselor hands back, or the
hold has been idle too long, the bot says so and asks again where the client was.

The dashboard writes the handoff rows (storage/handoff.py); what the bot must say at a step
the dashboard took comes here as a timed turn (`timer`, `takes_over`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dialogs.events import InboundKind
from dialogs.model import Effect, PersonAnswered, ReviewConsentAnswered
from dialogs.turn import Feature, TurnContext
from dialogs.understanding import understand
from dialogs.understanding.person import asks_for_person, might_ask_for_person
from storage.handoff import IDLE, OFFER, OFFERED, RESUME, WAITING, HandoffView

HANDOFF = "handoff"
# Flows that read their own answers (consent, safety, an erasure): no offer breaks into them.
NOT_NOW = ("welcome", "safety", "forget", HANDOFF)
THEIR_OWN = ("safety", "privacy", "forget")  # flows that run in full while a person holds the chat
OFFER_RETRY = timedelta(minutes=2)  # an offer that found the client busy is asked again after


def redirect(run: TurnContext) -> bool:
    """A consented client's text that asks for a person: the offer, or why not, or that it is
    asked already. True when that is the whole turn."""
    inbound = run.inbound
    if inbound.kind is not InboundKind.TEXT or not run.client.consented:
        return False
    if run.model.flow in NOT_NOW:
        return False
    text = inbound.text
    if not might_ask_for_person(text) or not asks_for_person(text, understand(text)):
        return False
    current = run.store.handoff.current()
    if not run.model.review_consent:
        run.say("handoff/needs_review")
        run.ask()
    elif current is not None and current.status != OFFERED:
        run.say("handoff/already_asked")
        run.ask()
    else:
        ask(run)
    return True


def ask(run: TurnContext) -> None:
    """Ask whether a person may write, keeping the client's place to come back to."""
    model = run.model
    here: dict[str, Any] = {"flow": model.flow, "state": model.state}
    if model.paused:
        here["then"] = model.paused
    model.context["paused"] = here
    run.move(HANDOFF, None)
    run.ask()


def takes_over(run: TurnContext) -> bool:
    """While a counselor holds the chat: the client's words are for them, and timed turns
    (check-ins, urge steps) stand aside; the idle check is taken here."""
    current = run.store.handoff.current()
    if current is None or not current.held:
        return False
    kind = run.inbound.kind
    if kind is InboundKind.TIMER:
        if run.inbound.text == IDLE:
            _idle_check(run, current)
        return True
    # /sos and the other commands are answered; a safety flow runs in full, and so do
    # /privacy and /forget, which the client opened.
    return kind is not InboundKind.COMMAND and run.model.flow not in THEIR_OWN


def timer(run: TurnContext, trigger: str) -> None:
    """A step the dashboard took, where the bot has something to say."""
    store = run.store.handoff
    if trigger == OFFER:
        current = store.current()
        if current is None or current.status != OFFERED:
            return  # withdrawn, or already answered
        if run.model.flow in NOT_NOW:  # in the middle of something that comes first
            store.check_again(OFFER, run.now() + OFFER_RETRY)
            return
        ask(run)
    elif trigger == RESUME:
        latest = store.latest()
        if latest is not None and not latest.held:
            _resume(run, latest.counselor, idle=False)


def _idle_check(run: TurnContext, held: HandoffView) -> None:
    if held.idle_at is not None and held.idle_at > run.now():
        run.store.handoff.check_again(IDLE, held.idle_at)  # the counselor wrote since
        return
    run.store.handoff.end("idle")
    _resume(run, held.counselor, idle=True)


def _resume(run: TurnContext, name: str | None, *, idle: bool) -> None:
    run.say("handoff/resumed", counselor=name or "The person from the team", idle=idle)
    run.ask()


def apply(run: TurnContext, effect: Effect) -> None:
    if isinstance(effect, PersonAnswered):
        if effect.agreed:
            run.store.handoff.agree()
        else:
            run.store.handoff.end("declined")


def after_effects(run: TurnContext) -> None:
    """Counselor review turned off: no person may go on reading or writing."""
    withdrawn = ReviewConsentAnswered(allowed=False)
    if any(effect == withdrawn for effect in run.model.effects):
        run.store.handoff.end("withdrawn")


class PersonValues:
    """What the handoff templates read, worked out only when a template reads it."""

    def __init__(self, run: TurnContext) -> None:
        self._run = run

    @property
    def open(self) -> bool:
        return self._run.hours.is_open(self._run.now())

    @property
    def hours(self) -> str:
        hours = self._run.hours
        return f"{hours.text} ({hours.zone.key} time)"

    @property
    def next_open(self) -> str:
        return self._run.hours.describe_next(self._run.now())

    @property
    def offered_by(self) -> str | None:
        current = self._run.store.handoff.current()
        return current.counselor if current is not None and current.status == OFFERED else None

    @property
    def waiting(self) -> bool:
        current = self._run.store.handoff.current()
        return current is not None and current.status == WAITING


def template_values(run: TurnContext) -> dict[str, object]:
    return {"person": PersonValues(run)}


FEATURE = Feature(
    name="handoff",
    flows=(HANDOFF,),
    takes_over=takes_over,
    timer=timer,
    redirect=redirect,
    template_values=template_values,
    apply=apply,
    after_effects=after_effects,
)
