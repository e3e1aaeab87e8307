"""The turn as a feature sees it, and the hooks a feature offers the engine.

Features (check-ins, data rights, the safety flow, the understanding step) import this module,
never the engine: `TurnContext` is what they may read, say, move and record in one turn, and
`Feature` names the fixed points of the turn where the engine calls them
(`dialogs/features.py` lists the features, as `dialogs/registry.py` lists the actions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from dialogs.events import Attachment, Choice, Delivery, Inbound, TurnOutcome
from dialogs.hours import ServiceHours
from dialogs.model import DialogModel, Effect
from storage import ClientSnapshot, Database, Turn
from storage.handoff import HandoffStore
from storage.rhythm import RhythmStore


class TurnStore(Protocol):
    """The storage turn, as far as features reach it (the engine writes the rest)."""

    @property
    def rhythm(self) -> RhythmStore: ...

    @property
    def handoff(self) -> HandoffStore: ...

    def export(self) -> dict[str, Any]: ...

    def forget(self) -> dict[str, int]: ...

    def set_consent(self, answer: str, *, version: int) -> None: ...


@dataclass(frozen=True)
class PrivacyTerms:
    encrypted: bool  # clients' words are sealed at rest (storage.keyring)
    retention_days: int  # kept this long after the client's last message


class TurnContext(Protocol):
    """One turn, as a feature may use it. Thrown away when the turn ends."""

    model: DialogModel  # the per-turn dialog model: flow, state, context, words, facts, effects

    @property
    def inbound(self) -> Inbound: ...

    @property
    def locale(self) -> str: ...

    @property
    def client(self) -> ClientSnapshot:
        """The client as stored now (consent, country, code)."""

    @property
    def received_in(self) -> tuple[str, str]:
        """The flow and state the inbound event was answering."""

    @property
    def consent_version(self) -> int:
        """The consent text's current version."""

    @property
    def privacy(self) -> PrivacyTerms:
        """How the service keeps what clients write, to tell them (/privacy, the welcome)."""

    @property
    def store(self) -> TurnStore: ...

    @property
    def scratch(self) -> dict[str, Any]:
        """Notes a feature leaves for its own later hooks in this turn; never saved."""

    def now(self) -> datetime: ...

    @property
    def hours(self) -> ServiceHours:
        """When people on the team read and answer."""

    def labels(self) -> dict[str, str]:
        """Button labels in the client's language."""

    def strings(self, name: str) -> dict[str, str]:
        """A named set of short strings (e.g. a chart's captions) in the client's language."""

    def timed_triggers(self) -> tuple[str, ...]:
        """Triggers a timed message may fire in the current state."""

    def say(
        self,
        template: str,
        *,
        choices: tuple[Choice, ...] = (),
        attachment: Attachment | None = None,
        **values: Any,
    ) -> None: ...

    def unsay(self) -> None:
        """Take back everything said so far in this turn."""

    def ask(self, hint: str | None = None) -> None:
        """Ask the current state's question (after `hint`, an answer that did not fit)."""

    def move(self, flow: str, state: str | None) -> None:
        """Go to `state` of `flow` (its initial state if None), saying nothing."""

    def fire(self, trigger: str) -> None:
        """Trigger the flow: say what it says, follow hand-offs, ask the next question."""

    def step(self, trigger: str) -> None:
        """Trigger the flow and say what it says; no hand-offs, no question."""


RunTurn = Callable[[Turn, Inbound], TurnOutcome]  # the engine running a turn it did not receive


class SendDue(Protocol):
    def __call__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        run_turn: RunTurn,
        *,
        limit: int,
        channel: str | None,
    ) -> list[Delivery]: ...


@dataclass(frozen=True)
class Feature:
    """What a feature offers the engine; it leaves out the hooks it does not need. Each hook is
    called at one fixed point of `dialogs/engine.py`, named after it."""

    name: str
    flows: tuple[str, ...] = ()  # flows the engine refuses to start without
    commands: Mapping[str, Callable[[TurnContext, str], None]] = field(default_factory=dict)
    warm_up: Callable[[], None] | None = None  # at start-up, not in a client's turn
    takes_over: Callable[[TurnContext], bool] | None = None  # before dispatch; True: it did all
    timer: Callable[[TurnContext, str], None] | None = None  # a timed turn's trigger
    redirect: Callable[[TurnContext], bool] | None = None  # before the input is read; True: done
    read_choice: Callable[[TurnContext, str], str | None] | None = None  # typed at buttons
    template_values: Callable[[TurnContext], Mapping[str, object]] | None = None
    writes_turn: Callable[[TurnContext], bool] | None = None  # True: it wrote all (an erasure)
    apply: Callable[[TurnContext, Effect], None] | None = None  # its own effects, the rest ignored
    after_effects: Callable[[TurnContext], None] | None = None
    send_due: SendDue | None = None  # the scheduler's round
