"""A person steps in, from the dashboard (issue 12): a client who asks for a person comes second
in the queue, after safety; a counselor takes the chat only once the client said yes in the
bot, writes through the bot under their own name, reads the client live, and hands back; each
step audited, with no message text. On SQLite and PostgreSQL. The same end to end, the client
on Telegram and the counselor in Chromium, is in tests/test_review_handoff_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from dialogs import Conversation
from dialogs.rhythm import ShiftedClock
from review.app import create_app
from review.config import ReviewSettings
from storage import Database
from storage.review_models import AuditEntry
from tests.harness import TestClient as Chat
from tests.review_client import csrf_of, sign_in
from tests.review_seed import PASSWORD, Seeded, add_accounts, conversation, seed
from tests.test_review_triage import queue


def talking(db: Database) -> Conversation:
    """The bot, on a clock that tests can move on (to run the scheduler's turns)."""
    bot = conversation(db)
    bot.clock = ShiftedClock()
    return bot


@pytest.fixture
def seeded(db: Database) -> Seeded:
    found = seed(db)
    add_accounts(db)
    return found


def signed_in(db: Database, name: str) -> TestClient:
    browser = TestClient(create_app(db, ReviewSettings()), follow_redirects=True)
    sign_in(browser, name, PASSWORD)
    return browser


@pytest.fixture
def casey(db: Database, seeded: Seeded) -> Iterator[TestClient]:
    with signed_in(db, "casey") as browser:
        yield browser


def press(browser: TestClient, code: str, step: str, **fields: str) -> str:
    """Press a handoff button (or send the message form) on the client's page."""
    page = browser.get(f"/clients/{code}").text
    return browser.post(
        f"/clients/{code}/handoff/{step}", data={"csrf": csrf_of(page), **fields}
    ).text


def person_card(page: str) -> str:
    return page[page.index('id="person"') : page.index("</section>", page.index('id="person"'))]


def audit_of(db: Database, code: str) -> list[tuple[str, str, str | None]]:
    with Session(db.engine) as session:
        rows = session.exec(
            select(AuditEntry)
            .where(AuditEntry.client_code == code, col(AuditEntry.action) != "viewed client")
            .order_by(col(AuditEntry.id))
        ).all()
        return [(r.actor, r.action, r.detail) for r in rows]


def test_a_client_asking_for_a_person_comes_right_after_safety_in_the_queue(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    hostile = Chat(talking(db), "hostile")  # seeded with review consent, unread messages
    hostile.say("can i talk to a real person")
    hostile.tap("Yes, a person can write")
    first, second, *_ = queue(casey)
    assert first[0] == seeded.flagged and "safety event" in first[1]
    assert second[0] == seeded.hostile and "asking for a person" in second[1]
    assert "waiting since" in second[1]
    card = person_card(casey.get(f"/clients/{seeded.hostile}").text)
    assert "They asked for a person" in card and "Take over the chat" in card


def test_the_counselor_takes_the_chat_writes_under_their_name_and_hands_back(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    alex = Chat(talking(db), "hostile")  # a seeded client who agreed to counselor review
    alex.say("is this a bot")
    alex.tap("Yes, a person can write")

    card = person_card(press(casey, seeded.hostile, "take"))
    assert "You are writing to them" in card and 'src="/clients/' in card
    assert "casey from the team is here now" in alex.say("hello?")[0].text

    press(casey, seeded.hostile, "messages", message="Hi, it's Casey <b>here</b>. How are things?")
    sent = alex.say("ok i guess. nights are bad")[0].html  # marked as from a person, escaped
    assert sent == "<b>casey (a person from the team):</b>\n" + (
        "Hi, it&#39;s Casey &lt;b&gt;here&lt;/b&gt;. How are things?"
    )

    live = casey.get(f"/clients/{seeded.hostile}/live")  # what the page's frame shows
    assert 'http-equiv="refresh"' in live.text
    newest = re.findall(r'<span class="who">([^<]+)', live.text)[:3]
    assert [who.strip() for who in newest] == ["Client", "casey", "Client"]
    assert "ok i guess. nights are bad" in live.text
    assert "frame-ancestors 'self'" in live.headers["content-security-policy"]
    assert live.headers["x-frame-options"] == "SAMEORIGIN"

    found = casey.get("/search", params={"q": "How are things"}).text
    assert '<span class="muted">casey · ' in found  # search says who wrote it too

    press(casey, seeded.hostile, "back")
    assert "Offer to write to them" in person_card(casey.get(f"/clients/{seeded.hostile}").text)
    assert "casey has handed the chat back to me" in alex.wait(timedelta(seconds=1))[0].text
    assert audit_of(db, seeded.hostile) == [
        ("client", "said yes to a person", None),
        ("casey", "took over the chat", None),
        ("casey", "wrote to the client", None),
        ("casey", "handed the chat back", None),
    ]
    exported = casey.get(f"/clients/{seeded.hostile}/export.json").json()
    assert {"from": "casey", "text": "Hi, it's Casey <b>here</b>. How are things?"}.items() <= (
        next(m for m in exported["transcript"] if m["from"] == "casey").items()
    )


def test_nobody_takes_a_chat_the_client_has_not_said_yes_to(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    refused = press(casey, seeded.hostile, "take")
    assert "has not agreed to a person writing yet" in refused
    press(casey, seeded.hostile, "offer")  # the bot asks them first
    assert "The bot has asked them" in person_card(casey.get(f"/clients/{seeded.hostile}").text)
    assert "has not agreed" in press(casey, seeded.hostile, "take")
    hostile = Chat(talking(db), "hostile")
    offer = hostile.wait(timedelta(seconds=1))
    assert "Someone from the team, casey, would like to write to you here" in offer[-1].text
    press(casey, seeded.hostile, "withdraw")  # unanswered: taken back, and offered afresh
    assert "Offer to write to them" in person_card(casey.get(f"/clients/{seeded.hostile}").text)
    assert audit_of(db, seeded.hostile) == [
        ("casey", "offered a person", None),
        ("casey", "withdrew the offer", None),
    ]


def test_only_the_counselor_holding_the_chat_writes_in_it(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    hostile = Chat(talking(db), "hostile")
    hostile.say("i want a human")
    hostile.tap("Yes, a person can write")
    press(casey, seeded.hostile, "take")
    with signed_in(db, "ada") as ada:
        card = person_card(ada.get(f"/clients/{seeded.hostile}").text)
        assert "casey is writing to them now" in card and "<textarea" not in card
        assert "casey is writing to this client, not you" in press(
            ada, seeded.hostile, "messages", message="hi"
        )
        assert "already writing" in press(ada, seeded.hostile, "take")


def test_handoff_forms_need_their_csrf_token_a_session_and_a_visible_client(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    for step in ("offer", "withdraw", "take", "messages", "back"):
        refused = casey.post(f"/clients/{seeded.flagged}/handoff/{step}", data={"csrf": "forged"})
        assert refused.status_code == 403
    page = casey.get(f"/clients/{seeded.flagged}").text
    for hidden in (seeded.private, seeded.declined):  # no counselor review: no person either
        response = casey.post(f"/clients/{hidden}/handoff/offer", data={"csrf": csrf_of(page)})
        assert response.status_code == 404
    with TestClient(create_app(db, ReviewSettings()), follow_redirects=False) as stranger:
        response = stranger.post(f"/clients/{seeded.flagged}/handoff/offer", data={"csrf": "x"})
        assert response.status_code == 303 and response.headers["location"] == "/sign-in"
        assert stranger.get(f"/clients/{seeded.flagged}/live").status_code == 303
