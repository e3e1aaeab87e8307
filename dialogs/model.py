"""The light, per-turn model the shared machines are triggered on. Never kept between turns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GoalSet:
    kind: str
    words: str
    option: str | None = None


@dataclass(frozen=True)
class ScoreRecorded:
    ruler: str
    score: int


@dataclass(frozen=True)
class ConsentAnswered:
    given: bool


@dataclass(frozen=True)
class ReviewConsentAnswered:
    allowed: bool


@dataclass(frozen=True)
class RhythmSet:
    """Check-ins chosen: cadence (or "none"), time of day, and the client's clock right now."""

    cadence: str
    time_of_day: str | None = None
    local_minute_now: int | None = None


@dataclass(frozen=True)
class DiaryLogged:
    kind: str  # use | activity
    value: str
    words: str | None = None


@dataclass(frozen=True)
class CountrySet:
    code: str  # where the client is, for emergency numbers (ISO 3166-1 alpha-2)


@dataclass(frozen=True)
class ForgetRequested:
    """The client confirmed /forget: erase everything about them at commit."""


@dataclass(frozen=True)
class SafetyConfirmed:
    """The client answered the direct question with yes or not sure: a safety event, and an
    alert, as for a screen hit."""

    category: str
    signal: str


@dataclass(frozen=True)
class PersonAnswered:
    """The client's answer to a person from the team writing here (issue 12)."""

    agreed: bool


Effect = (
    GoalSet
    | ScoreRecorded
    | ConsentAnswered
    | ReviewConsentAnswered
    | CountrySet
    | ForgetRequested
    | RhythmSet
    | DiaryLogged
    | SafetyConfirmed
    | PersonAnswered
)


@dataclass
class DialogModel:
    flow: str
    state: str
    context: dict[str, Any]
    text: str | None = None  # the client's words this turn
    score: int | None = None  # a ruler answer this turn
    choice: str | None = None  # the chosen key this turn
    says: list[str] = field(default_factory=list)  # templates a transition asked to render
    effects: list[Effect] = field(default_factory=list)
    jump: tuple[str, str | None] | None = None  # (flow, state or None for its initial)
    replay: str | None = None  # client words to take up as the answer where the turn lands
    heard: str | None = None  # this turn's words, paraphrased in the bot's voice (or None)
    path: list[str] = field(default_factory=list)  # transitions taken this turn, "flow#index"
    consented: bool = False  # the client's consent, as it stood when the turn began
    review_consent: bool = False  # counselor review, updated by this turn's answer

    @property
    def words(self) -> dict[str, str]:
        """The client's own words by topic, kept to reflect them back."""
        return self.context.setdefault("words", {})  # type: ignore[no-any-return]

    @property
    def facts(self) -> dict[str, Any]:
        """What the client chose: options, scores."""
        return self.context.setdefault("facts", {})  # type: ignore[no-any-return]

    @property
    def paused(self) -> dict[str, str] | None:
        return self.context.get("paused")
