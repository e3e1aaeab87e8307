"""A person from the team in a client's chat (issue 12): the handoff rows, written in the
transaction of a turn (the bot's side: `HandoffStore`) or of a counselor's action (the
dashboard's side: the functions below, each taking the client's turn lock first, so it never
interleaves with a turn of the same client).

A handoff goes offered (a counselor offered) -> waiting (the client said yes in the bot, or
asked and said yes) -> held (a counselor took the chat) -> ended (handed back, idle, declined,
withdrawn). Steps the bot must say something at (the offer, the hand-back, the idle check) are
timed messages of kind `TIMER_KIND`, run as the scheduler's turns, where the flows are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from storage.models import (
    Client,
    DialogState,
    Handoff,
    OutboxMessage,
    TimedMessage,
    TranscriptEvent,
)
from storage.review_models import AuditEntry

OFFERED, WAITING, HELD, ENDED = "offered", "waiting", "held", "ended"
OPEN = (OFFERED, WAITING, HELD)
TIMER_KIND = "handoff"
OFFER, RESUME, IDLE = "offer", "resume", "idle"  # the timed turns' triggers
PERSON_KIND = "person"  # a transcript message a counselor wrote


class HandoffRefused(ValueError):
    """The step does not fit the handoff's state; the message is fit to show a counselor."""


@dataclass(frozen=True)
class HandoffView:
    id: int
    status: str
    asked_by: str
    counselor: str | None
    created_at: datetime
    agreed_at: datetime | None
    held_at: datetime | None
    idle_at: datetime | None

    @property
    def held(self) -> bool:
        return self.status == HELD


def _view(row: Handoff) -> HandoffView:
    assert row.id is not None
    return HandoffView(
        row.id,
        row.status,
        row.asked_by,
        row.counselor,
        row.created_at,
        row.agreed_at,
        row.held_at,
        row.idle_at,
    )


def _open_row(session: Session, client_id: int) -> Handoff | None:
    return session.exec(
        select(Handoff)
        .where(Handoff.client_id == client_id, col(Handoff.status).in_(OPEN))
        .order_by(col(Handoff.id).desc())
    ).first()


def open_handoff(session: Session, client_id: int) -> HandoffView | None:
    """The client's handoff that has not ended, if any."""
    row = _open_row(session, client_id)
    return _view(row) if row is not None else None


def _queue_timer(session: Session, client_id: int, trigger: str, due: datetime) -> None:
    session.add(TimedMessage(client_id=client_id, kind=TIMER_KIND, trigger=trigger, due_at=due))


def _cancel_timers(session: Session, client_id: int, trigger: str) -> None:
    session.execute(
        update(TimedMessage)
        .where(
            col(TimedMessage.client_id) == client_id,
            col(TimedMessage.kind) == TIMER_KIND,
            col(TimedMessage.trigger) == trigger,
            col(TimedMessage.status) == "pending",
        )
        .values(status="cancelled")
    )


BOT_SIDE = "bot"  # the audit log's address for a step taken in a client's turn


def _audit(session: Session, client_id: int, actor: str, action: str, now: datetime) -> None:
    """A step taken in the bot (the client's yes, an idle end) in the dashboard's audit log."""
    client = session.get(Client, client_id)
    code = client.code if client is not None else None
    session.add(
        AuditEntry(created_at=now, actor=actor, action=action, client_code=code, address=BOT_SIDE)
    )


def _end(row: Handoff, reason: str, now: datetime) -> None:
    row.status, row.end_reason, row.ended_at, row.idle_at = ENDED, reason, now, None


class HandoffStore:
    """The client's handoff, as a turn reads and changes it."""

    def __init__(self, session: Session, client_id: int, now: datetime) -> None:
        self._session, self._client_id, self._now = session, client_id, now

    def current(self) -> HandoffView | None:
        return open_handoff(self._session, self._client_id)

    def latest(self) -> HandoffView | None:
        """The client's newest handoff, ended or not."""
        row = self._session.exec(
            select(Handoff)
            .where(Handoff.client_id == self._client_id)
            .order_by(col(Handoff.id).desc())
        ).first()
        return _view(row) if row is not None else None

    def agree(self) -> HandoffView:
        """The client said yes, in the bot, to a person writing: an offer becomes a waiting
        request, or a new request is made (the client asked)."""
        row = _open_row(self._session, self._client_id)
        if row is None:
            row = Handoff(
                client_id=self._client_id, status=WAITING, asked_by="client", created_at=self._now
            )
        if row.status == OFFERED:
            row.status = WAITING
        row.agreed_at = row.agreed_at or self._now
        self._session.add(row)
        self._session.flush()
        _audit(self._session, self._client_id, "client", "said yes to a person", self._now)
        return _view(row)

    def end(self, reason: str) -> None:
        """End the open handoff (declined, idle, withdrawn); nothing if there is none."""
        row = _open_row(self._session, self._client_id)
        if row is not None:
            _end(row, reason, self._now)
            self._session.add(row)
            _cancel_timers(self._session, self._client_id, IDLE)
            actor = "bot" if reason == "idle" else "client"
            _audit(self._session, self._client_id, actor, f"handoff ended ({reason})", self._now)

    def check_again(self, trigger: str, due: datetime) -> None:
        """Run the timed turn `trigger` again at `due` (an idle check, a deferred offer)."""
        _queue_timer(self._session, self._client_id, trigger, due)


# -- the dashboard's side ------------------------------------------------------------------------


def _locked_client(session: Session, client_id: int) -> Client:
    """The client, with their turn lock held to the end of the transaction on PostgreSQL (on
    SQLite the dashboard's BEGIN IMMEDIATE already keeps turns out)."""
    from storage.database import lock_key  # the database module imports this one

    client = session.get(Client, client_id)
    assert client is not None
    if session.get_bind().dialect.name != "sqlite":
        key = lock_key(client.channel, client.external_id)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    return client


def offer(session: Session, client_id: int, counselor: str, now: datetime) -> None:
    """A counselor offers to write: the bot will ask the client first (a timed turn)."""
    _locked_client(session, client_id)
    if _open_row(session, client_id) is not None:
        raise HandoffRefused("A person has already been offered or asked for.")
    session.add(
        Handoff(
            client_id=client_id,
            status=OFFERED,
            asked_by="counselor",
            counselor=counselor,
            created_at=now,
        )
    )
    _queue_timer(session, client_id, OFFER, now)


def withdraw_offer(session: Session, client_id: int, now: datetime) -> None:
    """A counselor's offer the client has not answered is taken back (a yes to it later asks
    for a person afresh)."""
    _locked_client(session, client_id)
    row = _open_row(session, client_id)
    if row is None or row.status != OFFERED:
        raise HandoffRefused("There is no unanswered offer to take back.")
    _end(row, "withdrawn", now)
    session.add(row)
    _cancel_timers(session, client_id, OFFER)


def take(session: Session, client_id: int, counselor: str, now: datetime, idle: timedelta) -> None:
    """The counselor takes the chat; only once the client has agreed in the bot."""
    _locked_client(session, client_id)
    row = _open_row(session, client_id)
    if row is None or row.status == OFFERED:
        raise HandoffRefused("The client has not agreed to a person writing yet.")
    if row.status == HELD:
        raise HandoffRefused(f"{row.counselor} is already writing to this client.")
    row.status, row.counselor, row.held_at, row.idle_at = HELD, counselor, now, now + idle
    session.add(row)
    _queue_timer(session, client_id, IDLE, now + idle)


def held_by(session: Session, client_id: int, counselor: str) -> Handoff:
    row = _open_row(session, client_id)
    if row is None or row.status != HELD:
        raise HandoffRefused("Nobody is writing to this client now.")
    if row.counselor != counselor:
        raise HandoffRefused(f"{row.counselor} is writing to this client, not you.")
    return row


def write(
    session: Session,
    client_id: int,
    counselor: str,
    *,
    text: str,
    html: str,
    now: datetime,
    idle: timedelta,
) -> None:
    """The counselor's message to the client: `html` (rendered from a template, naming them)
    into the outbox, their own words into the transcript under their name. The hold's idle
    time starts again."""
    _locked_client(session, client_id)
    row = held_by(session, client_id, counselor)
    row.idle_at = now + idle
    session.add(row)
    # Stored as the bot's replies are (Telegram HTML), so the transcript reads them alike.
    say(
        session,
        client_id,
        html=html,
        transcript=escape(text, quote=False),
        author=counselor,
        now=now,
    )


def hand_back(session: Session, client_id: int, counselor: str, now: datetime) -> None:
    """The counselor hands the chat back; the bot says so and resumes (a timed turn)."""
    _locked_client(session, client_id)
    row = held_by(session, client_id, counselor)
    _end(row, "handed_back", now)
    session.add(row)
    _cancel_timers(session, client_id, IDLE)
    _queue_timer(session, client_id, RESUME, now)


def say(
    session: Session,
    client_id: int,
    *,
    html: str,
    transcript: str,
    now: datetime,
    author: str | None = None,
    template: str | None = None,
    mi_code: str | None = None,
) -> None:
    """A message from the dashboard's side into the outbox and the transcript: a counselor's
    (with `author`), or a bot template the dashboard rendered (the "someone has joined")."""
    dialog = session.get(DialogState, client_id)
    flow, state = (dialog.flow, dialog.state) if dialog else ("", "")
    session.add(OutboxMessage(client_id=client_id, text=html, choices=[], created_at=now))
    session.add(
        TranscriptEvent(
            client_id=client_id,
            direction="out",
            kind=PERSON_KIND if author else "reply",
            text=transcript,
            template=template,
            mi_code=mi_code,
            flow=flow,
            state=state,
            author=author,
            created_at=now,
        )
    )
