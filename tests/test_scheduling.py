"""The scheduler's side of check-ins, on SQLite and PostgreSQL: a controllable clock drives it,
each due check-in goes out once (across restarts, threads and processes), nights stay quiet,
and urge-surfing steps survive a restart and stop when the client writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from dialogs import Conversation, FlowSet
from dialogs.rhythm import ShiftedClock, local
from prompts import Renderer
from storage import Database
from storage.models import (
    CheckinSchedule,
    Client,
    DialogState,
    TimedMessage,
    TranscriptEvent,
)
from storage.scheduling import claim_due, pending_timed
from tests.checkin_setup import add_due_clients
from tests.conftest import keys_for_tests
from tests.harness import TestClient

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday, noon UTC
HOW_DID_IT_GO = "How did it go with your step"


def fixed_clock(at: datetime = START) -> ShiftedClock:
    return ShiftedClock(base=lambda: at)


def engine(db: Database, flows: FlowSet, renderer: Renderer, clock: ShiftedClock) -> Conversation:
    return Conversation(db, flows, renderer, clock=clock)


def consented(conversation: Conversation, who: str = "client-1") -> TestClient:
    client = TestClient(conversation, who=who)
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("No, thank you")
    return client


def choose_daily_at_nine(client: TestClient, local_now: str) -> None:
    client.say("/menu")
    client.tap("Check-ins: how often")
    client.tap("Every day")
    client.tap("Morning (9:00)")
    client.say(local_now)


def checkins_sent(db: Database) -> dict[str, int]:
    """Check-in openings in the transcript, by client."""
    with Session(db.engine) as session:
        rows = session.exec(
            select(Client.external_id, func.count())
            .join(TranscriptEvent, col(TranscriptEvent.client_id) == col(Client.id))
            .where(TranscriptEvent.template == "checkin/how")
            .group_by(col(Client.external_id))
        ).all()
    return {who: int(n) for who, n in rows}


def schedule_of(db: Database, who: str) -> CheckinSchedule:
    with Session(db.engine) as session:
        client = session.exec(select(Client).where(Client.external_id == who)).one()
        row = session.get(CheckinSchedule, client.id)
        assert row is not None
        return row


def test_the_clock_brings_the_check_in_at_nine_in_the_clients_own_time(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    clock = fixed_clock()
    client = consented(engine(db, flows, renderer, clock))
    choose_daily_at_nine(client, "7am")  # New York in winter: UTC-5
    assert "first on Wednesday 02 December at 09:00" in client.text
    assert schedule_of(db, "client-1").utc_offset_minutes == -300

    assert client.wait("25h") == []  # 08:00 in New York on Wednesday: not yet
    assert client.wait("59m") == []
    assert client.wait("1m") != []  # 09:00 in New York: 14:00 UTC
    assert HOW_DID_IT_GO in client.text or "How have things been going" in client.text
    assert "it is time for the check-in you asked for" in client.text
    assert clock() == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    assert client.wait("1h") == []  # once, not again at the next look
    row = schedule_of(db, "client-1")
    assert row.next_due_at == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert row.sent_count == 1


def test_a_restart_inside_the_due_window_sends_once(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    clock = fixed_clock()
    client = consented(engine(db, flows, renderer, clock))
    choose_daily_at_nine(client, "12:00")
    # The bot is down for three days and three missed check-ins; a new process comes up.
    clock.advance(timedelta(days=3))
    restarted = engine(Database(db.url, keys=keys_for_tests()), flows, renderer, clock)
    first = restarted.send_due()
    again = restarted.send_due()
    assert [d.external_id for d in first] == ["client-1"] and again == []
    assert first[0].checkin  # counted as a check-in sent (bot.metrics)
    assert checkins_sent(db) == {"client-1": 1}
    # The next one is in the future, at nine, not one per missed day.
    assert schedule_of(db, "client-1").next_due_at == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_no_reminder_at_night_the_morning_brings_it(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    clock = fixed_clock()
    client = consented(engine(db, flows, renderer, clock))
    choose_daily_at_nine(client, "12:00")  # UTC+0: due on Wednesday at 09:00
    # Down from before nine until 23:00: it is night for the client now.
    clock.advance(timedelta(hours=35))
    assert client.wait("0m") == []
    assert schedule_of(db, "client-1").next_due_at == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    for _ in range(8):  # every hour of the night: still nothing
        assert client.wait("1h") == []
        assert local(clock(), 0).hour >= 22 or local(clock(), 0).hour < 8
    assert client.wait("1h") != [] and local(clock(), 0).hour == 8
    assert checkins_sent(db) == {"client-1": 1}


def test_pause_stops_reminders_and_resume_brings_them_back(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    clock = fixed_clock()
    client = consented(engine(db, flows, renderer, clock))
    choose_daily_at_nine(client, "12:00")
    client.say("/pause")
    assert client.wait("5d") == []
    client.say("/resume")
    assert "the next one is on Monday 07 December at 09:00, your time" in client.text
    assert client.wait("21h") != []
    assert checkins_sent(db) == {"client-1": 1}


def test_a_check_in_does_not_interrupt_urge_surfing(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    clock = fixed_clock(START.replace(hour=8, minute=59))
    client = consented(engine(db, flows, renderer, clock))
    choose_daily_at_nine(client, "8:59")
    clock.advance(timedelta(days=1))
    client.say("/urge")
    said = client.wait("1m")  # the check-in falls due now too: the urge step comes alone
    assert [s.text.split(":")[0] for s in said] == ["Now give it a name, quietly, to yourself"]
    assert checkins_sent(db) == {}
    assert schedule_of(db, "client-1").next_due_at == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_a_check_in_never_interrupts_the_safety_flow(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    clock = fixed_clock()
    client = consented(engine(db, flows, renderer, clock))
    choose_daily_at_nine(client, "12:00")
    client.say("/urge")
    client.say("I want to end my life")  # the safety screen, and urge surfing stops
    assert client.last_outcome is not None
    assert pending_timed(db, client.last_outcome.client_id) == []
    with Session(db.engine) as session:
        dialog = session.get(DialogState, client.last_outcome.client_id)
        assert dialog is not None and dialog.flow == "safety"
    assert client.wait("1d") == []  # the check-in falls due: nothing is sent over it
    assert checkins_sent(db) == {}
    assert schedule_of(db, "client-1").next_due_at == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_urge_steps_survive_a_restart_and_stop_when_the_client_writes(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    clock = fixed_clock()
    client = consented(engine(db, flows, renderer, clock))
    client.say("/urge")
    assert len(pending_timed(db, client.last_outcome.client_id)) == 4  # type: ignore[union-attr]
    restarted = TestClient(
        engine(Database(db.url, keys=keys_for_tests()), flows, renderer, clock), who="client-1"
    )
    assert "Now give it a name" in restarted.wait("1m")[0].text
    restarted.say("/menu")  # a command cancels the rest
    assert pending_timed(db, client.last_outcome.client_id) == []  # type: ignore[union-attr]
    assert restarted.wait("20m") == []
    with Session(db.engine) as session:
        statuses = session.exec(select(TimedMessage.status).order_by(col(TimedMessage.id))).all()
    assert statuses == ["sent", "cancelled", "cancelled", "cancelled"]


def test_a_crash_inside_the_claim_claims_nothing_and_the_next_look_sends_once(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    add_due_clients(db, range(3), due_at=START)
    conversation = engine(db, flows, renderer, fixed_clock(START + timedelta(minutes=1)))
    with pytest.raises(RuntimeError), claim_due(db, conversation.clock()) as claims:
        assert len(claims) == 3
        for claim in claims:
            claim.turn.rhythm.advance(START + timedelta(days=1), sent=True)
        raise RuntimeError("the process dies before the claim commits")
    assert schedule_of(db, "0").next_due_at == START  # still due: nothing was claimed
    assert len(conversation.send_due()) == 3 and conversation.send_due() == []
    assert checkins_sent(db) == {"0": 1, "1": 1, "2": 1}


def test_only_consenting_reachable_clients_are_claimed(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    add_due_clients(db, ["asked", "declined", "blocked"], due_at=START)
    with db.turn("test", "declined") as turn:
        turn.set_consent("declined", version=1)
    db.mark_unreachable(client_id=_client_id(db, "blocked"))
    sent = engine(db, flows, renderer, fixed_clock(START)).send_due()
    assert [d.external_id for d in sent] == ["asked"]


def _client_id(db: Database, who: str) -> int:
    with Session(db.engine) as session:
        client = session.exec(select(Client).where(Client.external_id == who)).one()
        assert client.id is not None
        return client.id


def test_the_stop_button_of_an_earlier_step_still_stops_urge_surfing(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    client = consented(engine(db, flows, renderer, fixed_clock()))
    first_step = client.say("/urge")[0]
    client.wait("1m")
    client.wait("2m")
    assert "Breathe with it" in client.text
    client.press(first_step.buttons[0][0])  # the Stop under the very first message
    assert "We can stop here." in client.text
    assert client.wait("30m") == []


def test_threads_with_their_own_engines_send_each_due_check_in_once(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    add_due_clients(db, range(60), due_at=START)
    clock = fixed_clock(START + timedelta(minutes=1))
    engines = [
        engine(Database(db.url, keys=keys_for_tests()), flows, renderer, clock) for _ in range(4)
    ]
    sent: list[list[str]] = [[] for _ in engines]

    def drain(index: int) -> None:
        while batch := engines[index].send_due(limit=7):
            sent[index].extend(d.external_id for d in batch)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everyone = sorted(who for batch in sent for who in batch)
    assert everyone == sorted(str(n) for n in range(60))
    assert checkins_sent(db) == {str(n): 1 for n in range(60)}


WORKER = textwrap.dedent(
    """
    import os, sys, time
    from dialogs import Conversation, load_flows
    from dialogs.engine import REQUIRED_FLOWS
    from prompts import Renderer
    from storage import Database
    from storage.keyring import KeyRing

    url, start_at = sys.argv[1], float(sys.argv[2])
    keys = KeyRing.from_settings(os.environ.get("ALONGSIDE_TEST_DATA_KEY") or None, None)
    renderer = Renderer()
    flows = load_flows(renderer, required=REQUIRED_FLOWS)
    conversation = Conversation(Database(url, keys=keys), flows, renderer)
    while time.time() < start_at:
        time.sleep(0.005)
    sent = 0
    while batch := conversation.send_due(limit=10):
        sent += len(batch)
    print(sent)
    """
)


@pytest.mark.postgres
def test_two_scheduler_processes_on_postgres_send_each_due_check_in_once(
    postgres_db: Database, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    add_due_clients(postgres_db, range(300), due_at=now - timedelta(minutes=1))
    start_at = now.timestamp() + 3.0  # both processes begin claiming at the same moment
    root = Path(__file__).parents[1]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, postgres_db.url, str(start_at)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    counts = [int(worker.communicate(timeout=90)[0].strip()) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert sum(counts) == 300, counts
    assert checkins_sent(postgres_db) == {str(n): 1 for n in range(300)}
