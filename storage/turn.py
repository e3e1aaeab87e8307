"""What one turn may read and write, inside the transaction `Database.turn` opened."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.client_data import erase_client, export_client
from storage.handoff import HandoffStore
from storage.models import (
    Client,
    DialogState,
    Goal,
    OutboxMessage,
    ProcessedUpdate,
    RulerScore,
    SafetyEvent,
    TranscriptEvent,
    utcnow,
)
from storage.rhythm import RhythmStore


@dataclass(frozen=True)
class ClientSnapshot:
    id: int
    code: str
    locale: str
    consent: str
    consent_version: int | None
    review_consent: bool
    country: str | None = None

    @property
    def consented(self) -> bool:
        return self.consent == "given"


@dataclass(frozen=True)
class DialogSnapshot:
    flow: str
    state: str
    context: dict[str, Any]
    version: int


@dataclass(frozen=True)
class GoalView:
    kind: str
    option: str | None
    words: str
    created_at: datetime


class Turn:
    """The unit of work for one inbound event. Writes become visible only at commit."""

    def __init__(
        self,
        session: Session,
        client: Client,
        *,
        now: datetime | None = None,
        by_client: bool = True,
    ) -> None:
        self._session = session
        self._client = client
        self.now = now or utcnow()
        self._parts_queued = 0  # messages queued in this turn (outbox `part`)
        if by_client:  # a scheduled turn (a check-in) is not the client being active
            client.last_active_at = self.now
            client.unreachable = False  # they wrote to us, so they can be written to
        self._dialog = session.get(DialogState, client.id)

    @property
    def client(self) -> ClientSnapshot:
        c = self._client
        assert c.id is not None
        return ClientSnapshot(
            id=c.id,
            code=c.code,
            locale=c.locale,
            consent=c.consent,
            consent_version=c.consent_version,
            review_consent=c.review_consent,
            country=c.country,
        )

    @property
    def dialog(self) -> DialogSnapshot | None:
        d = self._dialog
        if d is None:
            return None
        # A deep copy: the engine mutates nested values, and an in-place change to the loaded
        # JSON would compare equal to the new one and never be written.
        return DialogSnapshot(
            flow=d.flow, state=d.state, context=copy.deepcopy(d.context), version=d.version
        )

    @property
    def rhythm(self) -> RhythmStore:
        """Check-in schedule, timed messages and diary for this client (issue 5)."""
        return RhythmStore(self._session, self._id, self.now)

    @property
    def handoff(self) -> HandoffStore:
        """A person from the team in this client's chat (issue 12)."""
        return HandoffStore(self._session, self._id, self.now)

    # -- idempotency ---------------------------------------------------------------------------

    def already_processed(self, channel: str, update_id: int) -> bool:
        return self._session.get(ProcessedUpdate, (channel, update_id)) is not None

    def mark_processed(self, channel: str, update_id: int) -> None:
        self._session.add(
            ProcessedUpdate(
                channel=channel, update_id=update_id, client_id=self._id, processed_at=self.now
            )
        )

    # -- consent -------------------------------------------------------------------------------

    def set_consent(self, answer: str, *, version: int) -> None:
        self._client.consent = answer
        self._client.consent_version = version
        self._client.consented_at = self.now if answer == "given" else None
        if answer != "given":
            self._client.review_consent = False

    def set_review_consent(self, allowed: bool) -> None:
        self._client.review_consent = allowed

    def set_country(self, code: str) -> None:
        self._client.country = code

    # -- safety --------------------------------------------------------------------------------

    def record_safety_event(
        self, category: str, signal: str, flow: str, state: str, transcript_event_id: int | None
    ) -> None:
        """A safety screen hit, for counselor review: the rule's name, never the words."""
        self._session.add(
            SafetyEvent(
                client_id=self._id,
                category=category,
                signal=signal,
                flow=flow,
                state=state,
                transcript_event_id=transcript_event_id,
                created_at=self.now,
            )
        )

    # -- data rights (/mydata, /forget) -------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """Everything stored about this client, as JSON-ready data."""
        self._session.flush()
        return export_client(self._session, self._id)

    def forget(self) -> dict[str, int]:
        """Erase everything about this client (rows per table are returned), and carry on the
        turn as a brand-new client at the same address: no consent, no dialog, a new code. That
        blank row, like the one any first message creates, is what lets this reply reach them."""
        from storage.database import new_client_code  # the database module imports this one

        old = self._client
        self._session.flush()
        self._session.expunge_all()  # the rows below are deleted in SQL, not through the ORM
        counts = erase_client(self._session, self._id)
        for _ in range(5):
            fresh = Client(
                channel=old.channel,
                external_id=old.external_id,
                code=new_client_code(),
                locale=old.locale,
                created_at=self.now,
                last_active_at=self.now,
            )
            try:
                with self._session.begin_nested():
                    self._session.add(fresh)
                    self._session.flush()
            except IntegrityError:  # a code collision: draw again
                continue
            self._client, self._dialog = fresh, None
            return counts
        raise RuntimeError("could not allocate a client code")

    # -- dialog state --------------------------------------------------------------------------

    def save_dialog(self, flow: str, state: str, context: dict[str, Any]) -> None:
        if self._dialog is None:
            self._dialog = DialogState(client_id=self._id, flow=flow, state=state, context=context)
        else:
            self._dialog.flow, self._dialog.state = flow, state
            self._dialog.context = copy.deepcopy(context)
            self._dialog.version += 1
        self._dialog.updated_at = self.now
        self._session.add(self._dialog)

    # -- goals and rulers ----------------------------------------------------------------------

    def set_goal(self, kind: str, words: str, option: str | None = None) -> None:
        """Make `words` the client's active goal of this kind; the previous one becomes history."""
        self._session.execute(
            update(Goal)
            .where(col(Goal.client_id) == self._id, col(Goal.kind) == kind)
            .where(col(Goal.status) == "active")
            .values(status="replaced", replaced_at=self.now)
        )
        self._session.add(
            Goal(client_id=self._id, kind=kind, option=option, words=words, created_at=self.now)
        )

    def current_goals(self) -> dict[str, GoalView]:
        self._session.flush()
        rows = self._session.exec(
            select(Goal).where(Goal.client_id == self._id, Goal.status == "active")
        ).all()
        return {
            g.kind: GoalView(kind=g.kind, option=g.option, words=g.words, created_at=g.created_at)
            for g in rows
        }

    def record_score(self, ruler: str, score: int) -> None:
        self._session.add(
            RulerScore(client_id=self._id, ruler=ruler, score=score, created_at=self.now)
        )

    # -- transcript and outbox -----------------------------------------------------------------

    def log_inbound(
        self,
        *,
        kind: str,
        text: str | None,
        choice: str | None,
        flow: str,
        state: str,
        at: datetime | None = None,
    ) -> int:
        """Record what the client sent; `at` is when they sent it, if the channel says.
        Returns the transcript event's id."""
        event = self._record(
            direction="in",
            kind=kind,
            text=text,
            choice=choice,
            flow=flow,
            state=state,
            created_at=at or self.now,
        )
        self._session.flush()  # for its id, which a safety event may point to
        assert event.id is not None
        return event.id

    def queue_reply(
        self,
        *,
        text: str,
        choices: list[dict[str, str]],
        template: str,
        mi_code: str,
        flow: str,
        state: str,
        record: bool,
        attachment: tuple[str, str, bytes] | None = None,
    ) -> None:
        """One reply as one message: queued for delivery and, with `record`, written to the
        transcript."""
        self.queue_message(text=text, choices=choices, attachment=attachment)
        if record:
            self.record_reply(text=text, template=template, mi_code=mi_code, flow=flow, state=state)

    def queue_message(
        self,
        *,
        text: str,
        choices: list[dict[str, str]],
        attachment: tuple[str, str, bytes] | None = None,
    ) -> None:
        """Queue a message for delivery. An `attachment` is (kind, file name, content). The
        turn's first message is part 0; later ones give way to other clients' first ones."""
        kind, name, content = attachment or (None, None, None)
        self._session.add(
            OutboxMessage(
                client_id=self._id,
                text=text,
                choices=choices,
                attachment_kind=kind,
                attachment_name=name,
                attachment=content,
                part=self._parts_queued,
                created_at=self.now,
            )
        )
        self._parts_queued += 1

    def record_reply(
        self, *, text: str, template: str, mi_code: str, flow: str, state: str
    ) -> None:
        """One part of what the bot said, with its template and MI code, in the transcript."""
        self._record(
            direction="out",
            kind="reply",
            text=text,
            template=template,
            mi_code=mi_code,
            flow=flow,
            state=state,
        )

    def _record(self, **fields: Any) -> TranscriptEvent:
        fields.setdefault("created_at", self.now)
        event = TranscriptEvent(client_id=self._id, **fields)
        self._session.add(event)
        return event

    @property
    def _id(self) -> int:
        assert self._client.id is not None
        return self._client.id
