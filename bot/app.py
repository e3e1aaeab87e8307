"""Wiring: settings in, a ready conversation engine out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from dialogs import Conversation, load_flows
from dialogs.engine import REQUIRED_FLOWS
from prompts import Renderer
from storage import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    conversation: Conversation


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Load and check the flows and templates (a bad flow stops start-up here), then open the
    database and bring its schema up to date."""
    renderer = Renderer()
    flows = load_flows(renderer, required=REQUIRED_FLOWS)
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    conversation = Conversation(db, flows, renderer, hours=settings.hours())
    return Services(settings=settings, db=db, conversation=conversation)
