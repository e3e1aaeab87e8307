"""A person steps in (issue 12), the dashboard's side: offer to write, take the chat once the
client has said yes in the bot, write to them through the bot, hand back. Each step is one
transaction with its audit entry (no message text in it); the client's turn lock is taken
first (storage/handoff.py), so a step never interleaves with one of the client's turns.

What the client reads comes from templates (prompts/<locale>/handoff/): "<name> from the team
is here now" when the chat is taken, and each message marked as from a person, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from prompts import TELEGRAM_MESSAGE_LIMIT, Rendered, Renderer
from review import audit
from review.clients import Refused
from review.db import writing
from storage import Database
from storage import handoff as handoffs
from storage.handoff import HandoffRefused, HandoffView
from storage.models import Client, utcnow

MESSAGE_MAX = 3000  # characters a counselor writes in one message (Telegram's limit is 4096)
JOINED, FROM_PERSON = "handoff/joined", "handoff/from_person"


@dataclass(frozen=True)
class Step:
    """Who is acting, from where: for the audit log."""

    counselor: str
    address: str


class Handoffs:
    """The dashboard's handoff actions on one database."""

    def __init__(self, db: Database, idle: timedelta, renderer: Renderer | None = None) -> None:
        self.db, self.idle = db, idle
        self.renderer = renderer or Renderer()

    def current(self, client_id: int) -> HandoffView | None:
        with Session(self.db.engine) as session:
            return handoffs.open_handoff(session, client_id)

    def offer(self, client_id: int, code: str, step: Step) -> None:
        """Offer to write: the bot asks the client (a timed turn); nobody writes before a yes."""
        self._do(
            code,
            step,
            "offered a person",
            lambda session, now: handoffs.offer(session, client_id, step.counselor, now),
        )

    def withdraw_offer(self, client_id: int, code: str, step: Step) -> None:
        """Take back an offer the client has not answered."""
        self._do(
            code,
            step,
            "withdrew the offer",
            lambda session, now: handoffs.withdraw_offer(session, client_id, now),
        )

    def take(self, client_id: int, code: str, step: Step) -> None:
        """Take the chat (the client has said yes): the bot tells them who is here."""

        def act(session: Session, now: datetime) -> None:
            handoffs.take(session, client_id, step.counselor, now, self.idle)
            joined = self._render(session, client_id, JOINED, counselor=step.counselor)
            handoffs.say(
                session,
                client_id,
                html=joined.text,
                transcript=joined.text,
                template=joined.template,
                mi_code=joined.mi_code,
                now=now,
            )

        self._do(code, step, "took over the chat", act)

    def write(self, client_id: int, code: str, step: Step, words: str) -> None:
        """A message to the client, through the bot, marked as from this counselor."""
        message = words.strip()
        if not message:
            raise Refused("The message is empty.")
        if len(message) > MESSAGE_MAX:
            raise Refused(f"A message holds at most {MESSAGE_MAX:,} characters.")

        def act(session: Session, now: datetime) -> None:
            rendered = self._render(
                session, client_id, FROM_PERSON, counselor=step.counselor, message=message
            )
            handoffs.write(
                session,
                client_id,
                step.counselor,
                text=message,
                html=rendered.text,
                now=now,
                idle=self.idle,
            )

        self._do(code, step, "wrote to the client", act)  # that they wrote; never what

    def hand_back(self, client_id: int, code: str, step: Step) -> None:
        """Hand the chat back: the bot says so and resumes where the client was."""
        self._do(
            code,
            step,
            "handed the chat back",
            lambda session, now: handoffs.hand_back(session, client_id, step.counselor, now),
        )

    # -- in one transaction, audited -------------------------------------------------------------

    def _do(
        self, code: str, step: Step, action: str, act: Callable[[Session, datetime], None]
    ) -> None:
        try:
            with writing(self.db) as session:
                act(session, utcnow())
                audit.record(
                    session,
                    actor=step.counselor,
                    action=action,
                    address=step.address,
                    client_code=code,
                )
        except HandoffRefused as refused:
            raise Refused(str(refused)) from refused

    def _render(self, session: Session, client_id: int, template: str, **values: str) -> Rendered:
        client = session.get(Client, client_id)
        locale = self.renderer.locale_for(client.locale if client is not None else None)
        rendered = self.renderer.render(template, locale, **values)
        if len(rendered.text) > TELEGRAM_MESSAGE_LIMIT:
            raise Refused("The message is too long for one Telegram message.")
        return rendered
