"""The only features the engine knows, as `dialogs/registry.py` holds the only actions a flow
may name. A feature declares its hooks as a `Feature` (dialogs/turn.py); `Features` calls them
at the engine's fixed points, in the order listed here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from dialogs import checkins, data_rights, handoff
from dialogs.events import Delivery
from dialogs.model import Effect
from dialogs.safety import flow as safety
from dialogs.turn import Feature, RunTurn, TurnContext
from storage import Database


class Features:
    """Features, called together at each hook."""

    def __init__(self, *features: Feature) -> None:
        self.features = features
        self.commands: dict[str, Callable[[TurnContext, str], None]] = {}
        for feature in features:
            for name, handler in feature.commands.items():
                if name in self.commands:
                    raise ValueError(f"the command /{name} is claimed twice ({feature.name})")
                self.commands[name] = handler

    def __iter__(self) -> Iterator[Feature]:
        return iter(self.features)

    @property
    def flows(self) -> tuple[str, ...]:
        return tuple(name for feature in self for name in feature.flows)

    def warm_up(self) -> None:
        for feature in self:
            if feature.warm_up:
                feature.warm_up()

    def takes_over(self, turn: TurnContext) -> bool:
        return any(feature.takes_over(turn) for feature in self if feature.takes_over)

    def timer(self, turn: TurnContext, trigger: str) -> None:
        for feature in self:
            if feature.timer:
                feature.timer(turn, trigger)

    def redirect(self, turn: TurnContext) -> bool:
        return any(feature.redirect(turn) for feature in self if feature.redirect)

    def read_choice(self, turn: TurnContext, text: str) -> str | None:
        readings = (feature.read_choice(turn, text) for feature in self if feature.read_choice)
        return next((key for key in readings if key is not None), None)

    def template_values(self, turn: TurnContext) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for feature in self:
            if feature.template_values:
                values.update(feature.template_values(turn))
        return values

    def writes_turn(self, turn: TurnContext) -> bool:
        return any(feature.writes_turn(turn) for feature in self if feature.writes_turn)

    def apply(self, turn: TurnContext, effect: Effect) -> None:
        for feature in self:
            if feature.apply:
                feature.apply(turn, effect)

    def after_effects(self, turn: TurnContext) -> None:
        for feature in self:
            if feature.after_effects:
                feature.after_effects(turn)

    def send_due(
        self,
        db: Database,
        clock: Callable[[], datetime],
        run_turn: RunTurn,
        *,
        limit: int,
        channel: str | None,
    ) -> list[Delivery]:
        return [
            delivery
            for feature in self
            if feature.send_due
            for delivery in feature.send_due(db, clock, run_turn, limit=limit, channel=channel)
        ]


FEATURES = Features(checkins.FEATURE, safety.FEATURE, data_rights.FEATURE, handoff.FEATURE)
