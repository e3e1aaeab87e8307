"""Safety events and their alerts in storage, on SQLite and PostgreSQL: the event row is the
alert's outbox, and a client's country is remembered."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from storage import Database
from storage.alerts import alerted_since, mark_alert_failed, mark_alert_sent, pending_alerts
from storage.models import Client, SafetyEvent, utcnow

CRISIS = ("suicide", "overdose", "medical", "violence")


def record(db: Database, who: str, category: str, *, logged: bool = False) -> None:
    with db.turn("test", who) as turn:
        event_id = None
        if logged:
            event_id = turn.log_inbound(
                kind="text", text="words", choice=None, flow="agenda", state="topic"
            )
        turn.record_safety_event(category, "a_rule", "agenda", "topic", event_id)


def test_events_wait_for_their_alert_oldest_first_until_sent(db: Database) -> None:
    record(db, "a", "suicide", logged=True)
    record(db, "b", "past")
    record(db, "b", "overdose")
    since = utcnow() - timedelta(hours=1)

    pending = pending_alerts(db, since=since, categories=CRISIS, max_attempts=3)
    assert [(p.category, len(p.client_code)) for p in pending] == [("suicide", 6), ("overdose", 6)]
    with Session(db.engine) as session:
        codes = {c.external_id: c.code for c in session.exec(select(Client)).all()}
        linked = session.exec(select(SafetyEvent).where(SafetyEvent.category == "suicide")).one()
    assert [p.client_code for p in pending] == [codes["a"], codes["b"]]
    assert linked.transcript_event_id is not None

    mark_alert_sent(db, pending[0].event_id)
    for _ in range(3):
        mark_alert_failed(db, pending[1].event_id)
    assert pending_alerts(db, since=since, categories=CRISIS, max_attempts=3) == []
    assert (
        pending_alerts(db, since=utcnow() + timedelta(seconds=1), categories=CRISIS, max_attempts=9)
        == []
    )
    assert alerted_since(db, client_id=pending[0].client_id, category="suicide", since=since)
    assert not alerted_since(db, client_id=pending[1].client_id, category="overdose", since=since)


def test_a_clients_country_is_remembered(db: Database) -> None:
    with db.turn("test", "c") as turn:
        assert turn.client.country is None
        turn.set_country("NZ")
    with db.turn("test", "c") as turn:
        assert turn.client.country == "NZ"
