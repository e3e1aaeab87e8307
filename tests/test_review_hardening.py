"""What the dashboard's audit found, closed: error pages carry the security headers, client
text cannot turn the page's own text around, search finds what the bot said in its stored form
and pages on with the clients' words first, an admin cannot disable themselves by another
spelling, probes and forged forms are in the audit log, the Host is checked, HSTS over HTTPS,
and times are shown in the service's own zone. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import ValidationError
from sqlmodel import Session, col, select

from review import accounts, audit, clients
from review.app import create_app
from review.config import ReviewSettings
from storage import Database
from storage.models import Client, TranscriptEvent
from storage.review_models import AuditEntry
from tests.review_client import csrf_of, sign_in
from tests.review_seed import PASSWORD, Seeded, add_accounts, seed

RLO = "\u202e"


@pytest.fixture
def seeded(db: Database) -> Seeded:
    found = seed(db)
    add_accounts(db)
    return found


def browser_for(db: Database, **settings: str) -> TestClient:
    return TestClient(create_app(db, ReviewSettings(**settings)), follow_redirects=True)


@pytest.fixture
def casey(db: Database, seeded: Seeded) -> Iterator[TestClient]:
    with browser_for(db) as browser:
        sign_in(browser, "casey", PASSWORD)
        yield browser


@pytest.fixture
def ada(db: Database, seeded: Seeded) -> Iterator[TestClient]:
    with browser_for(db) as browser:
        sign_in(browser, "ada", PASSWORD)
        yield browser


def audited(db: Database) -> list[tuple[str, str, str | None]]:
    with Session(db.engine) as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        return [(r.actor, r.action, r.detail) for r in rows]


def says(db: Database, code: str, text: str, *, direction: str = "in") -> None:
    """A transcript line as the engine stores it (the bot's as Telegram HTML)."""
    with Session(db.engine) as session, session.begin():
        client_id = session.exec(select(Client.id).where(Client.code == code)).one()
        session.add(
            TranscriptEvent(
                client_id=client_id,
                direction=direction,
                kind="text",
                text=text,
                flow="menu",
                state="choose",
            )
        )


def assert_secure(headers: object) -> None:
    assert "default-src 'none'" in headers["content-security-policy"]  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert headers["cache-control"] == "no-store"  # type: ignore[index]


# -- error pages -----------------------------------------------------------------------------


def test_a_huge_audit_cursor_is_refused_with_the_security_headers(ada: TestClient) -> None:
    page = ada.get("/admin/audit", params={"before": 10**30})
    assert page.status_code == 422
    assert_secure(page.headers)
    assert ada.get("/admin/audit", params={"before": 10**9}).status_code == 200


def test_an_error_on_our_side_is_a_plain_500_with_the_headers_and_no_words_logged(
    db: Database, ada: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> list[audit.AuditLine]:
        raise RuntimeError("secret words from a query")

    monkeypatch.setattr(audit, "recent", broken)
    with caplog.at_level(logging.ERROR, logger="alongside.review"):
        page = ada.get("/admin/audit", params={"before": 5})
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert_secure(page.headers)
    assert "RuntimeError" in caplog.text and "secret words" not in caplog.text


# -- client text cannot reorder the page -----------------------------------------------------


def test_a_right_to_left_override_in_client_text_is_isolated_and_shown(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    says(db, seeded.hostile, f"harmless {RLO}desrever\u200b text")
    page = casey.get(f"/clients/{seeded.hostile}").text
    assert RLO not in page and "\u200b" not in page
    assert "harmless ⟦U+202E⟧</span>desrever" not in page  # the token is its own element
    assert "<bdi>harmless " in page and "⟦U+202E⟧" in page and "⟦U+200B⟧" in page
    found = casey.get("/search", params={"q": "harmless"}).text
    assert RLO not in found and "⟦U+202E⟧" in found
    print_page = casey.get(f"/clients/{seeded.hostile}/print").text
    assert RLO not in print_page


# -- search ----------------------------------------------------------------------------------


def test_search_finds_the_bots_words_as_they_were_stored(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    words = escape("it's the evenings that are hard")  # a value, as the renderer escapes it
    stored = f"So {words}, and mornings pay for it."
    assert "&#39;" in stored
    says(db, seeded.flagged, stored, direction="out")
    found = casey.get("/search", params={"q": "it's the evenings"}).text
    assert seeded.flagged in found and "<mark>it&#39;s the evenings</mark>" in found


def test_search_shows_the_clients_words_first_and_pages_on(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    for i in range(40):
        says(db, seeded.flagged, f"bot line about weekends {i}", direction="out")
    for i in range(30):
        says(db, seeded.flagged, f"my weekends are long {i}")
    first = casey.get("/search", params={"q": "weekends"}).text
    hits = first[first.index('<ol class="hits">') :]
    assert hits.count("client · ") == 30 and hits.count("bot · ") == 20
    assert hits.index("client · ") < hits.index("bot · ")
    assert hits.index("are long 29") < hits.index("are long 0")  # newest first
    assert 'href="/search?q=weekends&amp;page=2">Next' in first
    second = casey.get("/search", params={"q": "weekends", "page": 2}).text
    assert second.count("bot · ") == 20 and "Page 2" in second and "Next" not in second


# -- the long-transcript note tells the truth ------------------------------------------------


def test_a_long_transcript_note_says_the_export_holds_it_all(
    db: Database, seeded: Seeded, casey: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients, "TRANSCRIPT_LIMIT", 5)
    page = casey.get(f"/clients/{seeded.flagged}").text
    assert "earlier messages are not shown here" in page
    assert "the JSON export and the printable page hold the whole conversation" in page
    exported = json.loads(casey.get(f"/clients/{seeded.flagged}/export.json").text)
    assert len(exported["transcript"]) > 5 and exported["earlier_events_not_included"] == 0


# -- accounts --------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["ADA", "Ada", " ada "])
def test_an_admin_cannot_disable_themselves_by_another_spelling(
    db: Database, ada: TestClient, spelling: str
) -> None:
    token = csrf_of(ada.get("/admin/accounts").text)
    refused = ada.post(f"/admin/accounts/{spelling}/disable", data={"csrf": token})
    assert refused.status_code == 400 and "your own account" in refused.text
    assert {a.username: a.active for a in accounts.accounts(db)}["ada"] is True


# -- probes and forged forms are audited -----------------------------------------------------


def test_probes_and_forged_forms_are_in_the_audit_log(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    with browser_for(db) as stranger:
        stranger.get("/wp-admin/setup.php", params={"secret": "words"})
        stranger.post("/sign-in", data={"username": "x", "password": "y", "csrf": "forged"})
    casey.get("/admin/audit")
    casey.get(f"/clients/{seeded.private}")  # a client who did not agree to review
    casey.post(f"/clients/{seeded.flagged}/notes", data={"csrf": "forged", "note": "x"})
    logged = audited(db)
    assert (accounts.UNKNOWN_ACTOR, "refused (404)", "GET /wp-admin/setup.php") in logged
    assert (accounts.UNKNOWN_ACTOR, "CSRF rejected", "POST /sign-in") in logged
    assert ("casey", "refused (403)", "GET /admin/audit") in logged
    assert ("casey", "refused (404)", f"GET /clients/{seeded.private}") in logged
    assert ("casey", "CSRF rejected", f"POST /clients/{seeded.flagged}/notes") in logged
    assert not any("words" in (detail or "") for _, _, detail in logged)


# -- host, HSTS, time zone -------------------------------------------------------------------


def test_a_request_for_another_host_is_refused(db: Database, seeded: Seeded) -> None:
    hosts = "review.example.org"
    with browser_for(db, ALONGSIDE_REVIEW_ALLOWED_HOSTS=hosts) as browser:
        wrong = browser.get("/sign-in", headers={"Host": "attacker.example"})
        right = browser.get("/sign-in", headers={"Host": "review.example.org:8400"})
    assert wrong.status_code == 400 and "Sign in" not in wrong.text
    assert_secure(wrong.headers)
    assert right.status_code == 200
    with browser_for(db, ALONGSIDE_REVIEW_ALLOWED_HOSTS="::1") as browser:
        assert browser.get("/healthz", headers={"Host": "[::1]:8400"}).status_code == 200


def test_hsts_is_sent_over_https_only(db: Database, seeded: Seeded) -> None:
    with browser_for(db, ALONGSIDE_REVIEW_TRUSTED_PROXIES="testclient") as browser:
        secure = browser.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
        plain = browser.get("/sign-in")
    assert secure.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in plain.headers


def test_times_are_shown_in_the_services_zone_with_utc_on_hover(
    db: Database, seeded: Seeded
) -> None:
    with browser_for(db, ALONGSIDE_REVIEW_TIME_ZONE="Pacific/Auckland") as browser:
        sign_in(browser, "casey", PASSWORD)
        page = browser.get(f"/clients/{seeded.flagged}").text
    assert " NZDT</time>" in page or " NZST</time>" in page
    assert 'title="20' in page and ' UTC">' in page
    with pytest.raises(ValidationError, match="no time zone named"):
        ReviewSettings(ALONGSIDE_REVIEW_TIME_ZONE="Mars/Olympus")
