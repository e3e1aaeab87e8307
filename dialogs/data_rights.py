"""Consent and data rights in the engine: /privacy, /mydata, /forget, and asking for consent
again when its text has changed. The engine calls in here through `FEATURE`, at the end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dialogs.events import Attachment, AttachmentKind, InboundKind
from dialogs.model import ForgetRequested
from dialogs.turn import Feature, TurnContext

PRIVACY, FORGET, WELCOME = "privacy", "forget", "welcome"
FLOWS = (PRIVACY, FORGET)
COMMANDS = ("privacy", "mydata", "forget")
RENEW_STATE = "renew"  # the welcome flow's state that asks for consent to a changed text


def command(run: TurnContext, name: str) -> None:
    """/privacy and /forget open their flow (the engine then asks its question); /mydata
    sends the client's data and the current question is asked again."""
    if name == "mydata":
        run.say("privacy/mydata", attachment=my_data(run))
        return
    model = run.model
    if model.flow not in FLOWS:
        here: dict[str, Any] = {"flow": model.flow, "state": model.state}
        earlier = model.context.get("paused")
        if model.flow == WELCOME and earlier:  # asked for consent again: keep where they were
            here["then"] = earlier
        model.context["paused"] = here
    run.move(PRIVACY if name == "privacy" else FORGET, None)


def my_data(run: TurnContext) -> Attachment:
    """Everything stored about the client, as one JSON document."""
    document = {
        "about": "Everything Alongside stores about you, table by table.",
        "exported_at": datetime.now(UTC).isoformat(),
        **run.store.export(),
    }
    content = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    filename = f"alongside-{run.client.code}.json"
    return Attachment(AttachmentKind.DOCUMENT, filename, content)


def forget(run: TurnContext) -> None:
    """Erase everything about the client; what is left to say is only what was erased. The
    turn goes on for a brand-new client with no dialog, so their next message starts afresh."""
    erased = run.store.forget()
    run.unsay()
    run.model.context.clear()
    run.model.consented = run.model.review_consent = False
    run.say("forget/erased", erased=erased)


def consent_outdated(run: TurnContext) -> bool:
    """The client agreed to an older consent text (and is not asking about their data)."""
    client = run.client
    if not client.consented or client.consent_version == run.consent_version:
        return False
    inbound = run.inbound
    return not (inbound.kind is InboundKind.COMMAND and inbound.text in COMMANDS)


def ask_consent_again(run: TurnContext) -> None:
    """Until the client agrees to the new text, consent is pending again: nothing new is kept.
    Their place is kept, to go back to once they have answered."""
    model, client = run.model, run.client
    if model.flow != WELCOME:
        model.context["paused"] = {"flow": model.flow, "state": model.state}
    run.store.set_consent("pending", version=client.consent_version or 0)
    model.consented = model.review_consent = False
    run.move(WELCOME, RENEW_STATE)
    run.ask()


def renew_consent(run: TurnContext) -> bool:
    """Before anything else in the turn: ask for consent to a changed text, if it has changed."""
    if not consent_outdated(run):
        return False
    ask_consent_again(run)
    return True


def forget_requested(run: TurnContext) -> bool:
    """Before anything is written: an erasure writes the whole turn itself."""
    if ForgetRequested() not in run.model.effects:
        return False
    forget(run)
    return True


def template_values(run: TurnContext) -> dict[str, object]:
    """What /privacy and the welcome say about how things are kept."""
    terms = run.privacy
    return {"privacy": {"encrypted": terms.encrypted, "retention_days": terms.retention_days}}


FEATURE = Feature(
    name="data_rights",
    flows=FLOWS,
    commands=dict.fromkeys(COMMANDS, command),
    takes_over=renew_consent,
    writes_turn=forget_requested,
    template_values=template_values,
)
