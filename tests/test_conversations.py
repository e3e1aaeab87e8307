"""Conversation scripts, written as data in dialogs/scripts/*.yaml: `user:` and `tap:` steps
go in, `bot:` steps check what came back, and a few steps look at what was stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, col, select

from bot.fidelity import script_paths
from dialogs import Conversation, FlowSet
from dialogs.rhythm import ShiftedClock
from storage import Database
from storage.models import (
    Client,
    DialogState,
    DiaryEntry,
    Goal,
    RulerScore,
    SafetyEvent,
    TranscriptEvent,
)
from tests.harness import TestClient

SCRIPTS = script_paths()


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def run_script(script: dict[str, Any], client: TestClient) -> None:
    for number, step in enumerate(script["steps"], start=1):
        ((kind, value),) = step.items()
        where = f"step {number} ({kind}: {value!r})"
        check = CHECKS.get(kind)
        if check is None:
            raise AssertionError(f"{where}: unknown step kind")
        check(client, value, where)


def _user(client: TestClient, value: Any, where: str) -> None:
    client.say(str(value))


def _tap(client: TestClient, value: Any, where: str) -> None:
    client.tap(str(value))


def _wait(client: TestClient, value: Any, where: str) -> None:
    client.wait(str(value))


def _silence(client: TestClient, value: Any, where: str) -> None:
    assert value is True and client.last == [], f"{where}: the bot said:\n{client.text}"


def _media(client: TestClient, value: Any, where: str) -> None:
    client.send_media(str(value))


def _consent_text_changes(client: TestClient, value: Any, where: str) -> None:
    """The operator publishes a new consent text (a higher CONSENT_VERSION)."""
    client.conversation.consent_version = int(value)


def _bot(client: TestClient, value: Any, where: str) -> None:
    for expected in [value] if isinstance(value, str) else value:
        assert expected in client.text, f"{where}: the bot said:\n{client.text}"


def _bot_not(client: TestClient, value: Any, where: str) -> None:
    for unexpected in [value] if isinstance(value, str) else value:
        assert unexpected not in client.text, f"{where}: the bot said:\n{client.text}"


def _language(client: TestClient, value: Any, where: str) -> None:
    client.locale = str(value)


def _country(client: TestClient, value: Any, where: str) -> None:
    assert _client_row(client).country == value, f"{where}: country {_client_row(client).country}"


def _safety_events(client: TestClient, value: Any, where: str) -> None:
    """Each event as {category, signal, flow, state, linked}: `linked` says whether it points
    at the client's message in the transcript (only with consent). Only the keys given count."""
    events = _rows(client, SafetyEvent)
    assert len(events) == len(value), f"{where}: {[(e.category, e.signal) for e in events]}"
    for event, expected in zip(events, value, strict=True):
        seen = {
            "category": event.category,
            "signal": event.signal,
            "flow": event.flow,
            "state": event.state,
            "linked": event.transcript_event_id is not None,
        }
        assert {k: seen[k] for k in expected} == expected, f"{where}: {seen}"
        if event.transcript_event_id is not None:
            with Session(client.conversation.db.engine) as session:
                logged = session.get(TranscriptEvent, event.transcript_event_id)
            assert logged is not None and logged.direction == "in", where


def _buttons(client: TestClient, value: Any, where: str) -> None:
    assert client.buttons == [str(v) for v in value], f"{where}: buttons were {client.buttons}"


def _rows(client: TestClient, table: Any, *where: Any) -> list[Any]:
    db = client.conversation.db
    with Session(db.engine) as session:
        owner = session.exec(
            select(Client).where(Client.channel == client.channel, Client.external_id == client.who)
        ).one()
        query = select(table).where(table.client_id == owner.id, *where)
        return list(session.exec(query.order_by(col(table.created_at))).all())


def _client_row(client: TestClient) -> Client:
    with Session(client.conversation.db.engine) as session:
        return session.exec(
            select(Client).where(Client.channel == client.channel, Client.external_id == client.who)
        ).one()


def _consent(client: TestClient, value: Any, where: str) -> None:
    row = _client_row(client)
    assert (row.consent == "given") == value["given"], f"{where}: consent is {row.consent}"
    if "review" in value:
        assert row.review_consent == value["review"], f"{where}: review {row.review_consent}"


def _state(client: TestClient, value: Any, where: str) -> None:
    with Session(client.conversation.db.engine) as session:
        dialog = session.get(DialogState, _client_row(client).id)
    assert dialog is not None
    assert f"{dialog.flow}.{dialog.state}" == value, f"{where}: at {dialog.flow}.{dialog.state}"


def _goals(client: TestClient, value: Any, where: str) -> None:
    active = {g.kind: g.words for g in _rows(client, Goal, Goal.status == "active")}
    assert active == (value or {}), f"{where}: goals are {active}"


def _goal_history(client: TestClient, value: Any, where: str) -> None:
    for kind, expected in value.items():
        words = [g.words for g in _rows(client, Goal, Goal.kind == kind)]
        assert words == expected, f"{where}: {kind} history is {words}"


def _scores(client: TestClient, value: Any, where: str) -> None:
    for ruler, expected in value.items():
        scores = [s.score for s in _rows(client, RulerScore, RulerScore.ruler == ruler)]
        assert scores == expected, f"{where}: {ruler} scores are {scores}"


def _diary(client: TestClient, value: Any, where: str) -> None:
    """The diary notes, day by day: "use some: 3 beers", "activity none"."""
    rows = sorted(_rows(client, DiaryEntry), key=lambda r: (r.day, r.id))
    notes = [f"{r.kind} {r.value}" + (f": {r.words}" if r.words is not None else "") for r in rows]
    assert notes == value, f"{where}: the diary is {notes}"


def _transcript(client: TestClient, value: Any, where: str) -> None:
    count = len(_rows(client, TranscriptEvent))
    assert count == value, f"{where}: the transcript has {count} events"


CHECKS = {
    "user": _user,
    "tap": _tap,
    "media": _media,
    "wait": _wait,
    "silence": _silence,
    "bot": _bot,
    "bot_not": _bot_not,
    "language": _language,
    "country": _country,
    "safety_events": _safety_events,
    "buttons": _buttons,
    "consent": _consent,
    "state": _state,
    "goals": _goals,
    "goal_history": _goal_history,
    "scores": _scores,
    "diary": _diary,
    "transcript": _transcript,
    "consent_text_changes": _consent_text_changes,
}


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_conversation_script(path: Path, db: Database, flows: FlowSet, renderer: Any) -> None:
    script = load(path)
    assert script.get("description"), f"{path.name} needs a description"
    run_script(script, TestClient(Conversation(db, flows, renderer, clock=ShiftedClock())))


@pytest.mark.parametrize("option", ["less", "safer", "breaks", "timing", "stop", "own_way"])
def test_every_change_option_leads_to_the_clients_own_words(
    option: str, conversation: Conversation
) -> None:
    client = TestClient(conversation)
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("No, thank you")
    client.say("/menu")
    client.tap("Thinking about change")
    label = conversation.labels("en")[option]
    client.tap(label)
    assert "In your own words, what would" in client.text
    client.say("my own words for it")
    assert "So your goal, in your words: “my own words for it”." in client.text
    goal = _rows(client, Goal)[0]
    assert (goal.kind, goal.option, goal.words) == ("change", option, "my own words for it")


def test_the_scripts_take_every_transition_of_every_flow(
    sqlite_db: Database, flows: FlowSet, renderer: Any
) -> None:
    taken: set[str] = set()
    for number, path in enumerate(SCRIPTS):
        conversation = Conversation(sqlite_db, flows, renderer, clock=ShiftedClock())
        client = TestClient(conversation, who=f"coverage-{number}")
        run_script(load(path), client)
        taken.update(client.paths)
    for option in ("less", "safer", "breaks", "timing", "stop", "own_way"):
        taken.add(
            f"change#{['less', 'safer', 'breaks', 'timing', 'stop', 'own_way'].index(option)}"
        )
    every = {
        f"{name}#{index}"
        for name, flow in flows.flows.items()
        for index in range(len(flow.spec.transitions))
    }
    assert sorted(every - taken) == []
