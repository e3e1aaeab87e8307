"""The triage queue, as a counselor meets it: whoever had a safety event since the last review
comes first, then whoever wrote since, each saying why and how long they have waited; "Mark
reviewed" marks what the page showed, so a message that arrives meanwhile (even a safety one)
stays unread. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from review.app import create_app
from review.config import ReviewSettings
from storage import Database
from tests.harness import TestClient as Chat
from tests.review_client import SEEN, csrf_of, mark_reviewed, sign_in
from tests.review_seed import CRISIS, PASSWORD, Seeded, add_accounts, conversation, seed


@pytest.fixture
def seeded(db: Database) -> Seeded:
    found = seed(db)
    add_accounts(db)
    return found


@pytest.fixture
def casey(db: Database, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(db, ReviewSettings()), follow_redirects=True) as browser:
        sign_in(browser, "casey", PASSWORD)
        yield browser


def queue(browser: TestClient) -> list[tuple[str, str]]:
    """The client list as (code, why now), top to bottom."""
    page = browser.get("/").text
    rows = re.findall(
        r'<td data-label="Why now" class="why">(.*?)</td>\s*<td data-label="Client">'
        r'<a class="code" href="/clients/(\w+)',
        page,
        flags=re.S,
    )
    return [(code, re.sub(r"<[^>]+>", " ", why)) for why, code in rows]


def row_of(browser: TestClient, code: str) -> str:
    page = browser.get("/").text
    start = page.index(f'href="/clients/{code}')
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_safety_first_then_unread_then_the_rest_each_saying_why(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    first, second = queue(casey)
    assert first[0] == seeded.flagged and "1 safety event not yet reviewed" in first[1]
    assert second[0] == seeded.hostile and re.search(r"\d+ unread messages", second[1])
    assert "waiting since" in first[1] and "waiting since" in second[1]
    assert "1 safety" in row_of(casey, seeded.flagged)

    mark_reviewed(casey, seeded.flagged)
    assert [code for code, _ in queue(casey)] == [seeded.hostile, seeded.flagged]
    reviewed = row_of(casey, seeded.flagged)
    assert "nothing new since the last review" in reviewed and "badge danger" not in reviewed

    # A new crisis message puts them back on top, counted since the review: 1, not 2.
    Chat(conversation(db), "river").say(CRISIS)
    (top, why), _ = queue(casey)
    assert top == seeded.flagged and "1 safety event not yet reviewed" in why
    assert re.search(r">1 safety</span> <span class=\"muted\">newest 20", row_of(casey, top))


def test_the_longest_waiting_comes_first_within_a_tier(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    mark_reviewed(casey, seeded.flagged)
    mark_reviewed(casey, seeded.hostile)
    Chat(conversation(db), "hostile").say("are you there")
    Chat(conversation(db), "river").say("I had a better week")
    assert [code for code, _ in queue(casey)] == [seeded.hostile, seeded.flagged]


def test_mark_reviewed_marks_only_what_the_page_showed(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    river = Chat(conversation(db), "river")
    page = casey.get(f"/clients/{seeded.flagged}").text
    form = {"csrf": csrf_of(page), "seen": SEEN.findall(page)[-1]}
    river.say("I had a better week")  # arrives while the counselor reads
    casey.post(f"/clients/{seeded.flagged}/reviewed", data=form)
    (code, why), _ = queue(casey)
    assert code == seeded.hostile  # hostile's messages are older: they wait longest
    assert re.search(r"[1-9]\d* unread", row_of(casey, seeded.flagged))

    page = casey.get(f"/clients/{seeded.flagged}").text
    form = {"csrf": csrf_of(page), "seen": SEEN.findall(page)[-1]}
    river.say(CRISIS)  # even a safety message, arriving unseen, stays unread
    casey.post(f"/clients/{seeded.flagged}/reviewed", data=form)
    (code, why), _ = queue(casey)
    assert code == seeded.flagged and "1 safety event not yet reviewed" in why


def test_a_review_never_goes_past_the_newest_message_nor_back_before_an_earlier_one(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    page = casey.get(f"/clients/{seeded.flagged}").text
    token = csrf_of(page)
    casey.post(f"/clients/{seeded.flagged}/reviewed", data={"csrf": token, "seen": 10**12})
    Chat(conversation(db), "river").say("I had a better week")
    assert re.search(r"[1-9]\d* unread", row_of(casey, seeded.flagged))  # forged: no harm done
    mark_reviewed(casey, seeded.flagged)
    casey.post(f"/clients/{seeded.flagged}/reviewed", data={"csrf": token, "seen": 1})
    assert "nothing new since the last review" in row_of(casey, seeded.flagged)
    refused = casey.post(f"/clients/{seeded.flagged}/reviewed", data={"csrf": token, "seen": "x"})
    assert refused.status_code == 422


def test_the_client_page_opens_at_the_first_unread_with_a_jump_to_the_newest(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    mark_reviewed(casey, seeded.flagged)
    Chat(conversation(db), "river").say("I had a better week")
    assert f'href="/clients/{seeded.flagged}#new"' in casey.get("/").text
    page = casey.get(f"/clients/{seeded.flagged}").text
    assert page.count("Mark reviewed</button>") == 2  # at the top and at the end
    assert 'href="#latest">jump to the newest' in page and 'id="latest"' in page
    unread = page[page.index('id="new"') :]
    assert "I had a better week" in unread and CRISIS not in unread  # read before: above it
