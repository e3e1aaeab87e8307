"""Wiring: settings in, a ready conversation engine out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from dialogs import Conversation, load_flows
from dialogs.engine import REQUIRED_FLOWS
from prompts import Renderer
from storage import Database
from storage.keyring import KeyRing


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    conversation: Conversation


def build_services(
    settings: Settings, *, migrate: bool = True, keys: KeyRing | None = None
) -> Services:
    """Load and check the flows and templates (a bad flow stops start-up here), then open the
    database and bring its schema up to date."""
    renderer = Renderer()
    flows = load_flows(renderer, required=REQUIRED_FLOWS)
    db = Database(settings.database_url, keys=keys or settings.key_ring())
    if migrate:
        db.migrate()
    return Services(
        settings=settings,
        db=db,
        conversation=Conversation(
            db,
            flows,
            renderer,
            hours=settings.hours(),
            retention_days=settings.retention_days,
        ),
    )
