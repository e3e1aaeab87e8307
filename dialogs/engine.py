"""One turn, end to end: lock the client, read their state, run the flow, commit it all.

Features (dialogs/features.py) are called at fixed points of the turn through their hooks, and
see the turn only as a `dialogs.turn.TurnContext`; none of them imports this module."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from dialogs import hearing
from dialogs.events import Attachment, Choice, Delivery, Inbound, InboundKind, Reply, TurnOutcome
from dialogs.features import FEATURES, Features
from dialogs.flows import SCORE_TRIGGER, TEXT_TRIGGER, FlowSet
from dialogs.hours import DEFAULT_HOURS, ServiceHours
from dialogs.locks import ClientLocks
from dialogs.matching import match_choice, match_score
from dialogs.messages import as_messages
from dialogs.model import (
    ConsentAnswered,
    CountrySet,
    DialogModel,
    GoalSet,
    ReviewConsentAnswered,
    SafetyConfirmed,
    ScoreRecorded,
)
from dialogs.rhythm import Clock, system_clock
from dialogs.safety import flow as safety
from dialogs.turn import PrivacyTerms
from dialogs.understanding.reflect import paraphrase
from dialogs.understanding.wording import own, said, themed, touched
from prompts import Rendered, Renderer
from storage import ClientSnapshot, Database, Turn
from storage.inbox import InboxEntry, inbox_turn
from storage.retention import DEFAULT_RETENTION_DAYS

CONSENT_VERSION = 2  # raise when the consent text changes materially (2: /mydata, /forget)
WELCOME, MENU = "welcome", "menu"
REQUIRED_FLOWS = (WELCOME, MENU)  # and each feature's own
COMMANDS = ("start", "help", "menu", "goals")  # the engine's own; features bring the rest
UNPLACED = frozenset(
    {
        "system/choose_please",
        "system/scale_please",
        "system/not_understood",
        "hearing/goal_words",
    }
)
UNPLACED_COUNT = "unplaced"  # context: answers in a row the bot could not place
UNPLACED_PATIENCE = 2  # the second gets another approach, the third a choice of what to do
MAX_HANDOFFS = 8  # flows handing off to flows; more than this is a loop


class Conversation:
    """The engine. Holds nothing per client between turns but an idle-evicted lock."""

    def __init__(
        self,
        db: Database,
        flows: FlowSet,
        renderer: Renderer,
        clock: Clock = system_clock,
        features: Features = FEATURES,
        hours: ServiceHours | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        missing = [name for name in (*REQUIRED_FLOWS, *features.flows) if name not in flows]
        if missing:
            raise ValueError(f"the engine needs the flows {missing}")
        if clash := sorted(set(COMMANDS) & set(features.commands)):
            raise ValueError(f"features claim the engine's own commands {clash}")
        self.db = db
        self.flows = flows
        self.renderer = renderer
        self.clock = clock  # "now" for timestamps and scheduling; tests and the terminal move it
        self.hours = hours or ServiceHours.parse(DEFAULT_HOURS)  # when the team reads and answers
        self.locks = ClientLocks()
        self.consent_version = CONSENT_VERSION
        self.privacy = PrivacyTerms(encrypted=db.keys.enabled, retention_days=retention_days)
        self._labels = {locale: renderer.labels(locale) for locale in renderer.locales}
        self.features = features
        features.warm_up()
        hearing.warm_up()  # learn the understanding step's classifiers now, not in a turn

    async def take_turn(
        self, inbound: Inbound, deliver: Callable[[TurnOutcome], Awaitable[None]]
    ) -> TurnOutcome:
        """Handle `inbound` and deliver its replies, one turn at a time per client."""
        async with self.locks.hold((inbound.channel, inbound.external_id)):
            outcome = await asyncio.to_thread(self.handle, inbound)
            await deliver(outcome)
        return outcome

    def handle(self, inbound: Inbound) -> TurnOutcome:
        """Run one turn in one transaction; its replies are in the outbox when this returns."""
        locale = self.renderer.locale_for(inbound.locale)
        with self.db.turn(
            inbound.channel, inbound.external_id, locale=locale, now=self.clock()
        ) as turn:
            return self._run(turn, inbound)

    def handle_next(self) -> tuple[InboxEntry, TurnOutcome] | None:
        """Take the next update from the inbox (in its client's order) and run its turn; the
        update leaves the inbox in the turn's own transaction. None if nothing can be taken."""
        with inbox_turn(self.db, locale_for=self.renderer.locale_for, clock=self.clock) as taken:
            if taken is None:
                return None
            entry, turn = taken
            inbound = Inbound(
                channel=entry.channel,
                external_id=entry.external_id,
                kind=InboundKind(entry.kind),
                text=entry.text or "",
                choice=entry.choice,
                update_id=entry.update_id,
                locale=entry.locale,
                at=entry.written_at,
            )
            return entry, self._run(turn, inbound)

    def _run(self, turn: Turn, inbound: Inbound) -> TurnOutcome:
        if inbound.update_id is not None:
            if turn.already_processed(inbound.channel, inbound.update_id):
                return TurnOutcome(client_id=turn.client.id, duplicate=True)
            turn.mark_processed(inbound.channel, inbound.update_id)
        return _TurnRun(self, turn, inbound, turn.client.locale).run()

    def send_due(self, *, limit: int = 100, channel: str | None = None) -> list[Delivery]:
        """Queue the check-ins and timed messages that have fallen due (the scheduler's turn)."""
        return self.features.send_due(
            self.db, self.clock, self._timed_turn, limit=limit, channel=channel
        )

    def _timed_turn(self, turn: Turn, inbound: Inbound) -> TurnOutcome:
        """A turn the scheduler claimed, in the transaction it opened."""
        return _TurnRun(self, turn, inbound, turn.client.locale).run()

    def labels(self, locale: str) -> dict[str, str]:
        return self._labels.get(locale) or self._labels["en"]


class _TurnRun:
    """The work of one turn, on a per-turn model; thrown away when the turn ends. Features see
    it as a `TurnContext` (dialogs/turn.py)."""

    def __init__(self, conv: Conversation, turn: Turn, inbound: Inbound, locale: str) -> None:
        self.conv, self.turn, self.inbound, self.locale = conv, turn, inbound, locale
        self.flows, self.features = conv.flows, conv.features
        self.scratch: dict[str, Any] = {}
        self.replies: list[tuple[Reply, str, str]] = []  # with the flow and state it was said in
        self.notice: str | None = None
        self.safety_events: list[str] = []  # categories recorded this turn (for metrics)
        snapshot = turn.dialog
        self.lost = snapshot is not None and not self.flows.has_state(snapshot.flow, snapshot.state)
        if snapshot is None or self.lost:
            context = dict(snapshot.context) if snapshot else {}
            start = MENU if turn.client.consented else WELCOME
            self.model = DialogModel(start, self.flows[start].spec.initial, context)
        else:
            self.model = DialogModel(snapshot.flow, snapshot.state, dict(snapshot.context))
        self.model.consented = turn.client.consented
        self.model.review_consent = turn.client.review_consent
        self.fresh = snapshot is None
        self.received_in = (self.model.flow, self.model.state)
        self.safety_hit = safety.screen_inbound(inbound, self.model)  # first, in any state

    # -- what a feature may read (TurnContext) -------------------------------------------------

    @property
    def client(self) -> ClientSnapshot:
        return self.turn.client

    @property
    def store(self) -> Turn:
        return self.turn

    @property
    def consent_version(self) -> int:
        return self.conv.consent_version

    @property
    def privacy(self) -> PrivacyTerms:
        return self.conv.privacy

    def now(self) -> datetime:
        return self.conv.clock()

    @property
    def hours(self) -> ServiceHours:
        return self.conv.hours

    def labels(self) -> dict[str, str]:
        return self.conv.labels(self.locale)

    def strings(self, name: str) -> dict[str, str]:
        return self.conv.renderer.strings(name, self.locale)

    def timed_triggers(self) -> tuple[str, ...]:
        return self.flows[self.model.flow].state(self.model.state).timed

    # -- the turn ------------------------------------------------------------------------------

    def run(self) -> TurnOutcome:
        if self.safety_hit is not None:
            safety.enter(self, self.safety_hit.category, self.safety_hit.signal)
            self.ask()
        elif self.fresh or self.lost:
            if self.lost:
                self.say("system/lost_place")
            self.ask()
        elif self.features.takes_over(self):
            pass
        else:
            self.dispatch()
        self.commit()
        return TurnOutcome(
            client_id=self.turn.client.id,
            replies=tuple(reply for reply, _, _ in self.replies),
            notice=self.notice,
            path=tuple(self.model.path),
            said_in=tuple(flow for _, flow, _ in self.replies),
            safety_events=tuple(self.safety_events),
        )

    def dispatch(self) -> None:
        kind = self.inbound.kind
        if kind is InboundKind.TIMER:
            self.features.timer(self, self.inbound.text)
        elif self.features.redirect(self):
            pass
        elif kind is InboundKind.COMMAND:
            self.command(self.inbound.text)
        elif kind is InboundKind.MEDIA:
            self.ask(hint="system/media")
        elif kind is InboundKind.CHOICE:
            self.button(self.inbound.choice or "")
        else:
            self.typed(self.inbound.text)

    def command(self, name: str) -> None:
        consented = self.turn.client.consented
        self.model.context.pop(hearing.STOPPED, None)  # a command is a way back in
        feature_command = self.features.commands.get(name)
        if feature_command is not None:
            feature_command(self, name)
        elif name == "start":
            if consented:
                self.say("system/welcome_back")
            else:
                self.move(WELCOME, None)
        elif name == "help":
            self.say("system/help")
        elif name in ("menu", "goals") and not consented:
            self.say("system/consent_first")
        elif name == "menu":
            if self.model.flow != MENU:
                self.model.context["paused"] = {"flow": self.model.flow, "state": self.model.state}
            self.move(MENU, None)
        elif name == "goals":
            goals = {kind: goal.words for kind, goal in self.turn.current_goals().items()}
            self.say("system/goals", goals=goals)
        else:
            self.say("system/unknown_command")
        self.ask()

    def button(self, data: str) -> None:
        question, _, key = data.partition(":")
        if question != str(self.model.context.get("question")):
            self.notice = self.render("system/stale_button").text
            return
        state = self.flows[self.model.flow].state(self.model.state)
        if key not in self.offered():
            self.ask(hint="system/unknown_button")
        elif state.expects == "scale":
            self.model.score = int(key)
            self.fire(SCORE_TRIGGER)
        else:
            self.model.choice = key
            self.fire(key)

    def typed(self, text: str, *, hear: bool = True) -> None:
        expects = self.flows[self.model.flow].state(self.model.state).expects
        if not text.strip():
            self.ask(hint="system/not_understood")
            return
        named = self.named_button(text) if expects == "choice" else None
        if hear and named is None:  # a button named by its label or number needs no reading
            heard = hearing.hear(self, text, expects or "text", self.offered())  # understanding
            if heard is None:
                return
            text = heard
        if expects == "text":
            # A text question's button (e.g. Skip) typed out exactly counts as the tap.
            labels = self.conv.labels(self.locale)
            typed = " ".join(text.split()).casefold()
            key = next((k for k in self.offered() if labels.get(k, k).casefold() == typed), None)
            self.model.text, self.model.choice = text, key
            if key is None and self.model.heard is None:
                self.model.heard = paraphrase(text)
            self.fire(key or TEXT_TRIGGER)
        elif expects == "scale":
            self.model.score = match_score(text)
            if self.model.score is None:
                self.ask(hint="system/scale_please")
            else:
                self.fire(SCORE_TRIGGER)
        else:
            key = named or self.named_button(text)
            if key is None:
                self.ask(hint="system/choose_please")
            else:
                self.model.choice = key
                self.fire(key)

    def named_button(self, text: str) -> str | None:
        """The offered button `text` names: the safety flow's own reading of the direct
        question first, then a number, a key or a label."""
        key = self.features.read_choice(self, text)
        if key is None:
            labels = self.conv.labels(self.locale)
            key = match_choice(text, [(k, labels[k]) for k in self.offered()])
        return key

    def fire(self, trigger: str) -> None:
        if not self.flows[self.model.flow].fire(trigger, self.model):
            self.ask(hint="system/not_understood")
            return
        self.say_model_says()
        hearing.deepen(self)
        self.follow_handoffs()
        replay, self.model.replay = self.model.replay, None
        if replay is not None and self.flows[self.model.flow].state(self.model.state).expects == (
            "text"
        ):
            self.typed(replay, hear=False)  # words meant for this question (a mistaken check)
        else:
            self.ask()

    def step(self, trigger: str) -> None:
        self.flows[self.model.flow].fire(trigger, self.model)
        self.say_model_says()

    def say_model_says(self) -> None:
        for template in self.model.says:
            self.say(template)
        self.model.says.clear()

    def follow_handoffs(self) -> None:
        for _ in range(MAX_HANDOFFS):
            jump, self.model.jump = self.model.jump, None
            if jump is not None and self.flows.has_state(jump[0], jump[1] or ""):
                self.model.flow, self.model.state = jump[0], jump[1] or ""
                self.recap()
                continue
            handoff = self.flows[self.model.flow].state(self.model.state).handoff
            if handoff is None:
                return
            if self.model.flow == MENU:
                self.recap()
            self.move(handoff, None)
        raise RuntimeError(f"flows hand off in a loop at {self.model.flow}.{self.model.state}")

    def recap(self) -> None:
        """Back from an interruption, or off from the menu: what the client has told us."""
        if "subject" in self.model.words or "topic" in self.model.words:
            self.say("system/recap")

    def move(self, flow: str, state: str | None) -> None:
        self.model.flow = flow
        self.model.state = state or self.flows[flow].spec.initial

    # -- saying things -------------------------------------------------------------------------

    def offered(self) -> list[str]:
        return self.flows[self.model.flow].offered(self.model.state, self.model)

    def ask(self, hint: str | None = None) -> None:
        """Ask the current state's question, with fresh buttons if it has any. With a `hint`
        (an answer that did not fit), a choice question is not repeated in full: the hint
        carries the buttons."""
        if hint in UNPLACED:  # never the same line again and again: change approach
            unplaced = int(self.model.context.get(UNPLACED_COUNT, 0)) + 1
            self.model.context[UNPLACED_COUNT] = unplaced
            if unplaced >= UNPLACED_PATIENCE + 1 and self.model.flow not in hearing.OWN_ANSWERS:
                self.model.context.pop(UNPLACED_COUNT)
                if self.model.flow == hearing.STEER:  # not even the choice fits: leave it here
                    hearing.rest(self)
                else:
                    hearing.step_aside(self, hearing.STEER)
                return
            if unplaced % UNPLACED_PATIENCE == 0:  # where nothing else can be offered: alternate
                hint = "hearing/another_way"
        else:
            self.model.context.pop(UNPLACED_COUNT, None)
        state = self.flows[self.model.flow].state(self.model.state)
        assert state.say is not None
        question = int(self.model.context.get("question", 0)) + 1
        self.model.context["question"] = question
        labels = self.conv.labels(self.locale)
        choices = tuple(  # a text question may offer one-tap answers too (e.g. Skip)
            Choice(key=k, label=labels.get(k, k), data=f"{question}:{k}") for k in self.offered()
        )
        if hint is not None and choices:
            self.say(hint, choices=choices)
            return
        if hint is not None:
            self.say(hint)
        self.say(state.say, choices=choices)

    def say(
        self,
        template: str,
        *,
        choices: tuple[Choice, ...] = (),
        attachment: Attachment | None = None,
        **extra: Any,
    ) -> None:
        rendered = self.render(template, **extra)
        reply = Reply(rendered.text, rendered.template, rendered.mi_code, choices, attachment)
        self.replies.append((reply, self.model.flow, self.model.state))

    def unsay(self) -> None:
        self.replies.clear()

    def render(self, template: str, **extra: Any) -> Rendered:
        m = self.model
        expects = self.flows[m.flow].state(m.state).expects
        return self.conv.renderer.render(
            template,
            self.locale,
            words=m.words,
            facts=m.facts,
            subject=m.words.get("subject"),
            heard=m.heard,
            said=said(m.words),
            own=own(m.words),
            areas=touched(m.words),
            themes=themed(m.words),
            expects=expects,
            client={"consented": m.consented, "review": m.review_consent},
            **{**self.features.template_values(self), **extra},
        )

    # -- writing it down -----------------------------------------------------------------------

    def commit(self) -> None:
        turn = self.turn
        if self.features.writes_turn(self):  # an erasure; the one reply says what went
            self.queue_replies(record=False)
            return
        for effect in self.model.effects:
            if isinstance(effect, GoalSet):
                turn.set_goal(effect.kind, effect.words, effect.option)
            elif isinstance(effect, ScoreRecorded):
                turn.record_score(effect.ruler, effect.score)
            elif isinstance(effect, ConsentAnswered):
                answer = "given" if effect.given else "declined"
                turn.set_consent(answer, version=self.conv.consent_version)
            elif isinstance(effect, ReviewConsentAnswered):
                turn.set_review_consent(effect.allowed)
            elif isinstance(effect, CountrySet):
                turn.set_country(effect.code)
            else:
                self.features.apply(self, effect)
        self.features.after_effects(self)
        # Before consent, nothing of what the client says is kept (CLINICAL.md, step 1).
        record = turn.client.consented
        timer = self.inbound.kind is InboundKind.TIMER  # a scheduled turn: the client said nothing
        logged = self.log_inbound() if record and not self.fresh and not timer else None
        if self.safety_hit is not None and self.safety_hit.recorded:  # before consent too
            flow, state = self.received_in
            turn.record_safety_event(
                self.safety_hit.category, self.safety_hit.signal, flow, state, logged
            )
            self.safety_events.append(self.safety_hit.category)
        for effect in self.model.effects:  # a yes or not sure to the direct question
            if isinstance(effect, SafetyConfirmed):
                turn.record_safety_event(effect.category, effect.signal, *self.received_in, logged)
                self.safety_events.append(effect.category)
        self.queue_replies(record=record)
        turn.save_dialog(self.model.flow, self.model.state, self.model.context)

    def queue_replies(self, *, record: bool) -> None:
        for message in as_messages([reply for reply, _, _ in self.replies]):
            attachment = message.attachment
            self.turn.queue_message(
                text=message.text,
                choices=[{"data": c.data, "label": c.label} for c in message.choices],
                attachment=(
                    None
                    if attachment is None
                    else (attachment.kind.value, attachment.filename, attachment.content)
                ),
            )
        if record:
            for reply, flow, state in self.replies:
                self.turn.record_reply(
                    text=reply.text,
                    template=reply.template,
                    mi_code=reply.mi_code,
                    flow=flow,
                    state=state,
                )

    def log_inbound(self) -> int:
        inbound, (flow, state) = self.inbound, self.received_in
        kind: str = inbound.kind.value
        text: str | None = inbound.text
        choice: str | None = None
        if inbound.kind is InboundKind.CHOICE:
            choice = self.model.choice or (inbound.choice or "").partition(":")[2]
            score = self.model.score
            text = str(score) if score is not None else self.conv.labels(self.locale).get(choice)
        elif inbound.kind is InboundKind.COMMAND:
            text = f"/{inbound.text}"
        elif inbound.kind is InboundKind.MEDIA:
            kind, text = inbound.text or "media", None
        elif self.model.choice is not None:
            choice = self.model.choice
        return self.turn.log_inbound(
            kind=kind, text=text, choice=choice, flow=flow, state=state, at=inbound.at
        )
