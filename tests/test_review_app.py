"""The review dashboard over HTTP: who may see what, CSRF, sessions, throttling, inert client
text, visibility, the audit log. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, col, select, update
from starlette.routing import Mount

from review import accounts
from review.app import SIGN_IN_FAILED, create_app
from review.config import ReviewSettings
from review.sessions import COOKIE
from storage import Database
from storage.models import Client, TranscriptEvent, utcnow
from storage.review_models import AuditEntry, ClientNote, ReviewSession
from tests.harness import TestClient as Chat
from tests.review_client import csrf_of, mark_reviewed, sign_in
from tests.review_seed import CRISIS, HOSTILE, PASSWORD, Seeded, add_accounts, conversation, seed

SETTINGS = ReviewSettings(
    ALONGSIDE_REVIEW_IDLE_MINUTES=30, ALONGSIDE_REVIEW_ALLOWED_HOSTS="testserver"
)


@pytest.fixture
def seeded(db: Database) -> Seeded:
    found = seed(db)
    add_accounts(db)
    return found


@pytest.fixture
def browser(db: Database, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(db, SETTINGS), follow_redirects=True) as client:
        yield client


@pytest.fixture
def casey(browser: TestClient) -> TestClient:
    page = sign_in(browser, "casey", PASSWORD)
    assert "Clients" in page and "casey" in page
    return browser


class River:
    """The flagged client, writing again."""

    def __init__(self, db: Database) -> None:
        self.chat = Chat(conversation(db), "river")

    def says(self, text: str) -> None:
        self.chat.say(text)


def plant(browser: TestClient, value: str) -> None:
    browser.cookies.set(COOKIE, value, domain="testserver.local", path="/")


def session_cookie(browser: TestClient) -> str | None:
    return next((c.value for c in browser.cookies.jar if c.name == COOKIE), None)


def actions(db: Database) -> list[tuple[str, str, str | None]]:
    with Session(db.engine) as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        return [(r.actor, r.action, r.client_code) for r in rows]


# -- nobody gets in without signing in -------------------------------------------------------


def concrete(path: str, seeded: Seeded) -> str:
    values = {"code": seeded.flagged, "username": "casey", "state": "disable"}
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def test_every_route_refuses_an_unauthenticated_request(
    db: Database, seeded: Seeded, browser: TestClient
) -> None:
    app = browser.app
    routes = [r for r in app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    mounts = {r.path for r in app.routes if isinstance(r, Mount)}  # type: ignore[attr-defined]
    assert mounts == {"/static"}, "a new mount must be checked here"
    checked = 0
    for route in routes:
        if route.path in ("/sign-in", "/healthz"):
            continue
        for method in route.methods:
            response = browser.request(method, concrete(route.path, seeded), follow_redirects=False)
            assert response.status_code == 303, (method, route.path)
            assert response.headers["location"] == "/sign-in"
            assert seeded.flagged not in response.text
            checked += 1
    assert checked >= 14
    # Static files hold no data; sign-in is the only page served to strangers.
    assert browser.get("/static/review.css").status_code == 200
    assert "Sign in" in browser.get("/sign-in").text
    assert browser.get("/healthz").text == "ok\n"  # for a health check: no data, no session
    assert actions(db) == [("test", "account added", None)] * 2  # nothing was viewed


def test_a_form_without_a_valid_csrf_token_is_refused(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    app = casey.app
    posts = [
        r.path
        for r in app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and "POST" in r.methods and r.path != "/sign-in"
    ]
    for path in posts:
        for data in ({"note": "x", "tag": "x"}, {"note": "x", "tag": "x", "csrf": "forged"}):
            response = casey.post(concrete(path, seeded), data=data, follow_redirects=False)
            assert response.status_code == 403, path
    with Session(db.engine) as session:
        assert session.exec(select(ClientNote)).all() == []
    assert "Sign out" in casey.get("/").text  # still signed in: sign-out was refused too


def test_the_sign_in_form_needs_its_own_token(browser: TestClient) -> None:
    browser.get("/sign-in")
    refused = browser.post(
        "/sign-in", data={"username": "casey", "password": PASSWORD, "csrf": "guess"}
    )
    assert refused.status_code == 403
    assert session_cookie(browser) is None


# -- sessions --------------------------------------------------------------------------------


def test_the_session_id_changes_at_sign_in_and_the_old_one_dies(
    db: Database, browser: TestClient
) -> None:
    plant(browser, "planted-by-someone-else")
    sign_in(browser, "casey", PASSWORD)
    first = session_cookie(browser)
    assert first is not None and first != "planted-by-someone-else"
    sign_in(browser, "casey", PASSWORD)
    second = session_cookie(browser)
    assert second is not None and second != first
    plant(browser, first)
    assert browser.get("/", follow_redirects=False).status_code == 303
    with Session(db.engine) as session:
        stored = session.exec(select(ReviewSession.token_hash)).all()
    assert len(stored) == 1 and second not in stored[0]  # only a hash is kept


def test_cookies_are_httponly_strict_and_secure_behind_a_trusted_proxy(
    db: Database, seeded: Seeded
) -> None:
    settings = ReviewSettings(ALONGSIDE_REVIEW_TRUSTED_PROXIES="testclient")
    with TestClient(create_app(db, settings)) as browser:
        plain = browser.get("/sign-in")
        failed = browser.post(
            "/sign-in",
            data={"username": "casey", "password": "wrong", "csrf": csrf_of(plain.text)},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        behind = browser.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in plain.headers["set-cookie"].lower()
    cookie = behind.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert SIGN_IN_FAILED in failed.text
    with Session(db.engine) as session:
        assert session.exec(select(AuditEntry.address)).all()[-1] == "203.0.113.9"
    with TestClient(create_app(db, SETTINGS)) as browser:  # no trusted proxy: headers ignored
        page = browser.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in page.headers["set-cookie"].lower()


def test_idle_and_old_sessions_expire(db: Database, casey: TestClient) -> None:
    with Session(db.engine) as session, session.begin():
        session.execute(update(ReviewSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert casey.get("/", follow_redirects=False).status_code == 303
    with Session(db.engine) as session:
        assert session.exec(select(ReviewSession)).all() == []
    sign_in(casey, "casey", PASSWORD)
    with Session(db.engine) as session, session.begin():
        session.execute(update(ReviewSession).values(created_at=utcnow() - timedelta(hours=13)))
    assert casey.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(db: Database, casey: TestClient) -> None:
    old = session_cookie(casey)
    assert old is not None
    page = casey.post("/sign-out", data={"csrf": csrf_of(casey.get("/").text)})
    assert "Sign in" in page.text
    plant(casey, old)
    assert casey.get("/", follow_redirects=False).status_code == 303


# -- throttling ------------------------------------------------------------------------------


def test_sign_in_is_throttled_per_account_with_one_generic_message(
    db: Database, browser: TestClient
) -> None:
    wrong = sign_in(browser, "casey", "not the password")
    unknown = sign_in(browser, "nobody-here", "whatever it is")
    assert SIGN_IN_FAILED in wrong and SIGN_IN_FAILED in unknown
    for _ in range(accounts.MAX_CHECKS_PER_ACCOUNT - 1):
        sign_in(browser, "casey", "not the password")
    refused = sign_in(browser, "casey", PASSWORD)  # the right password, too late
    assert SIGN_IN_FAILED in refused and session_cookie(browser) is None
    assert ("casey", "sign-in throttled", None) in actions(db)
    assert (accounts.UNKNOWN_ACTOR, "sign-in failed", None) in actions(db)
    assert "Clients" in sign_in(browser, "ada", PASSWORD)  # another account is not locked out


def test_sign_in_is_throttled_per_address(db: Database, browser: TestClient) -> None:
    for i in range(accounts.MAX_CHECKS_PER_ADDRESS):
        sign_in(browser, f"guess{i}", "not the password")
    assert SIGN_IN_FAILED in sign_in(browser, "ada", PASSWORD)


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(
    db: Database, casey: TestClient
) -> None:
    accounts.set_active(db, "casey", False, actor="test", address="local")
    assert casey.get("/", follow_redirects=False).status_code == 303
    assert SIGN_IN_FAILED in sign_in(casey, "casey", PASSWORD)


# -- roles -----------------------------------------------------------------------------------


def test_a_counselor_cannot_reach_admin_pages(db: Database, casey: TestClient) -> None:
    token = csrf_of(casey.get("/").text)
    assert "Audit log" not in casey.get("/").text
    assert casey.get("/admin/audit").status_code == 403
    assert casey.get("/admin/accounts").status_code == 403
    made = casey.post(
        "/admin/accounts",
        data={"csrf": token, "username": "mallory", "password": "x" * 20, "role": "admin"},
    )
    assert made.status_code == 403
    assert casey.post("/admin/accounts/ada/disable", data={"csrf": token}).status_code == 403
    assert [a.username for a in accounts.accounts(db)] == ["ada", "casey"]


def test_an_admin_reads_the_audit_log_and_manages_accounts(
    db: Database, browser: TestClient
) -> None:
    sign_in(browser, "ada", PASSWORD)
    log = browser.get("/admin/audit")
    assert log.status_code == 200 and "signed in" in log.text
    token = csrf_of(log.text)
    browser.post(
        "/admin/accounts",
        data={"csrf": token, "username": "Robin", "password": "a long first password"},
    )
    browser.post("/admin/accounts/casey/disable", data={"csrf": token})
    own = browser.post("/admin/accounts/ada/disable", data={"csrf": token})
    assert own.status_code == 400
    listed = {a.username: (a.role, a.active) for a in accounts.accounts(db)}
    assert listed == {
        "ada": ("admin", True),
        "casey": ("counselor", False),
        "robin": ("counselor", True),
    }
    assert ("ada", "account added", None) in actions(db)
    assert ("ada", "account disabled", None) in actions(db)


# -- what a counselor sees ---------------------------------------------------------------------


def test_client_text_renders_as_inert_text_everywhere(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    page = casey.get(f"/clients/{seeded.hostile}").text
    token = csrf_of(page)
    casey.post(f"/clients/{seeded.hostile}/notes", data={"csrf": token, "note": HOSTILE})
    tag = casey.post(f"/clients/{seeded.hostile}/tags", data={"csrf": token, "tag": "<b>x</b>"})
    assert tag.status_code == 400 and "A tag is 1-32 letters" in tag.text
    pages = {
        "client": casey.get(f"/clients/{seeded.hostile}").text,
        "print": casey.get(f"/clients/{seeded.hostile}/print").text,
        "search": casey.get("/search", params={"q": "onerror"}).text,
        "list": casey.get("/").text,
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        assert 'href="javascript:' not in html, name
        assert "<script" not in html.lower(), name  # the dashboard itself has no script at all
    client_page = pages["client"]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in client_page
    assert "{{ 7*7 }} {% raw %}" in client_page  # shown, not evaluated
    notes = client_page[client_page.index("Private notes") :]
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in notes
    assert "&lt;img src=x <mark>onerror</mark>=&#34;alert(1)&#34;&gt;" in pages["search"]


def test_bot_replies_show_as_plain_text(seeded: Seeded, casey: TestClient) -> None:
    page = casey.get(f"/clients/{seeded.flagged}").text
    assert "<b>" not in page and "&lt;b&gt;" not in page
    assert "So your goal, in your words: “no more than two beers on weeknights”." in page


def test_search_input_is_safe_and_literal(db: Database, seeded: Seeded, casey: TestClient) -> None:
    for query in ("%", "_", "%%", "\\", "' OR 1=1 --", "{{ 7*7 }}", "<script>"):
        page = casey.get("/search", params={"q": query})
        assert page.status_code == 200
        assert "<script>" not in page.text
    assert "0 messages found" in casey.get("/search", params={"q": "%_%"}).text
    found = casey.get("/search", params={"q": "{{ 7*7 }}"}).text
    assert seeded.hostile in found and seeded.flagged not in found
    assert 'value="{{ 7*7 }}"' in found
    beers = casey.get("/search", params={"q": "BEERS"}).text
    assert seeded.flagged in beers and "<mark>beers</mark>" in beers
    # The private client wrote the same words as the flagged one: only one client is found.
    crept = casey.get("/search", params={"q": "crept up"}).text
    assert seeded.flagged in crept and seeded.private not in crept
    assert casey.get("/search", params={"q": "x" * 5000}).status_code == 422
    searches = [a for a in actions(db) if a[1] == "searched"]
    assert len(searches) == 11  # the one refused as too long is not a search
    with Session(db.engine) as session:
        details = " ".join(d or "" for d in session.exec(select(AuditEntry.detail)).all())
    assert "crept" not in details and "beers" not in details


def test_the_client_list_sorts_filters_and_flags(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    everyone = casey.get("/").text
    assert seeded.flagged in everyone and seeded.hostile in everyone
    assert "1 safety" in everyone and "no more than two beers on weeknights" in everyone
    assert "safety</span> · check" in everyone  # where the crisis message took them
    flagged = casey.get("/", params={"flagged": "true"}).text
    assert seeded.flagged in flagged and seeded.hostile not in flagged
    with Session(db.engine) as session, session.begin():
        session.execute(
            update(Client)
            .where(col(Client.code) == seeded.hostile)
            .values(last_active_at=utcnow() - timedelta(days=10))
        )
    quiet = casey.get("/", params={"inactive": "7"}).text
    assert seeded.hostile in quiet and seeded.flagged not in quiet
    by_code = casey.get("/", params={"sort": "code"}).text
    first, second = sorted([seeded.flagged, seeded.hostile])
    assert by_code.index(f">{first}<") < by_code.index(f">{second}<")
    assert casey.get("/", params={"sort": "nonsense", "inactive": "x"}).status_code == 200


def test_notes_tags_and_mark_reviewed(db: Database, seeded: Seeded, casey: TestClient) -> None:
    code = seeded.flagged
    token = csrf_of(casey.get(f"/clients/{code}").text)
    unread = transcript_length(db, code)  # never reviewed: the whole conversation
    assert f"{unread} unread" in casey.get("/").text
    casey.post(f"/clients/{code}/notes", data={"csrf": token, "note": "Call back on Monday."})
    casey.post(f"/clients/{code}/tags", data={"csrf": token, "tag": "  Follow   Up "})
    casey.post(f"/clients/{code}/tags", data={"csrf": token, "tag": "follow up"})  # once only
    page = mark_reviewed(casey, code)
    assert "Call back on Monday." in page and "casey ·" in page
    assert page.count('<span class="tag">follow up</span>') == 1
    assert "reviewed" in page and "by casey" in page
    listing = casey.get("/", params={"unreviewed": "true"}).text
    assert seeded.hostile in listing and code not in listing
    River(db).says("I had a better week")  # new messages after the review are unread
    listing = casey.get("/", params={"unreviewed": "true"}).text
    assert code in listing and re.search(r">[2-9] unread<", listing)
    empty = casey.post(f"/clients/{code}/notes", data={"csrf": token, "note": "   "})
    assert empty.status_code == 400 and "The note is empty." in empty.text
    casey.post(f"/clients/{code}/tags/remove", data={"csrf": token, "tag": "follow up"})
    assert '<span class="tag">' not in casey.get(f"/clients/{code}").text
    done = [a[1] for a in actions(db) if a[2] == code]
    assert done.count("note added") == 1 and "tag added" in done and "tag removed" in done
    assert "marked reviewed" in done


def transcript_length(db: Database, code: str) -> int:
    with Session(db.engine) as session:
        client_id = session.exec(select(Client.id).where(Client.code == code)).one()
        return session.exec(
            select(func.count()).where(TranscriptEvent.client_id == client_id)
        ).one()


def test_reviewing_one_client_leaves_the_others_unread(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    mark_reviewed(casey, seeded.hostile)
    listing = casey.get("/", params={"unreviewed": "true"}).text
    unread = transcript_length(db, seeded.flagged)
    assert seeded.flagged in listing and f">{unread} unread<" in listing
    assert seeded.hostile not in listing


def test_the_client_page_shows_the_chat_safety_goals_chart_and_mi_view(
    seeded: Seeded, casey: TestClient
) -> None:
    page = casey.get(f"/clients/{seeded.flagged}").text
    assert CRISIS in page
    crisis = page[page.index(CRISIS) - 900 : page.index(CRISIS) + 300]
    assert 'class="msg client safety"' in crisis and "Safety event:" in crisis
    assert '<abbr class="mi" title="open question">OQ</abbr>' in page
    goals = page[page.index("Goals, in their words") :]
    assert "no more than two beers on weeknights" in goals
    assert page.count('<polyline class="line importance"') == 1
    assert page.count('<circle class="dot confidence"') == 4
    assert "Reflections per question" in page and "MI non-adherent" in page
    assert re.search(r"Bot messages</dt><dd>\d+: \d+ questions", page)


def test_export_as_json_and_as_a_printable_page(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    token = csrf_of(casey.get(f"/clients/{seeded.flagged}").text)
    casey.post(f"/clients/{seeded.flagged}/notes", data={"csrf": token, "note": "private"})
    exported = casey.get(f"/clients/{seeded.flagged}/export.json")
    assert exported.headers["content-disposition"] == (
        f'attachment; filename="client-{seeded.flagged}.json"'
    )
    data = json.loads(exported.text)
    assert data["client"] == seeded.flagged
    assert any(m["text"] == CRISIS for m in data["transcript"])
    assert data["safety_events"][0]["category"] == "suicide"
    assert data["goals"][0]["words"] == "no more than two beers on weeknights"
    assert "private" not in exported.text  # counselors' notes stay in the dashboard
    printable = casey.get(f"/clients/{seeded.flagged}/print").text
    assert CRISIS in printable and "Confidential" in printable
    assert ("casey", "exported JSON", seeded.flagged) in actions(db)
    assert ("casey", "exported printable page", seeded.flagged) in actions(db)


def test_every_response_forbids_framing_caching_and_scripts(casey: TestClient) -> None:
    for path in ("/", "/sign-in", "/search", "/static/review.css", "/nowhere"):
        headers = casey.get(path).headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"


# -- visibility ------------------------------------------------------------------------------


def erase(db: Database, code: str) -> None:
    """What issue 3's /forget does: every row with a client_id, then the client."""
    with Session(db.engine) as session, session.begin():
        client_id = session.exec(select(Client.id).where(Client.code == code)).one()
        for table in reversed(SQLModel.metadata.sorted_tables):
            if "client_id" in table.c and table.name != "client":
                session.execute(table.delete().where(table.c.client_id == client_id))
        session.execute(Client.__table__.delete().where(Client.__table__.c.id == client_id))  # type: ignore[attr-defined]


def test_only_clients_who_agreed_to_review_appear_anywhere(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    listing = casey.get("/").text
    for hidden in (seeded.private, seeded.declined):
        assert hidden not in listing
        for path in ("", "/export.json", "/print"):
            assert casey.get(f"/clients/{hidden}{path}").status_code == 404
        token = csrf_of(listing)
        assert (
            casey.post(f"/clients/{hidden}/notes", data={"csrf": token, "note": "x"}).status_code
            == 404
        )
    # Withdrawing review consent: gone at once.
    with Session(db.engine) as session, session.begin():
        session.execute(
            update(Client).where(col(Client.code) == seeded.hostile).values(review_consent=False)
        )
    assert seeded.hostile not in casey.get("/").text
    assert casey.get(f"/clients/{seeded.hostile}").status_code == 404
    assert seeded.hostile not in casey.get("/search", params={"q": "onerror"}).text
    # Erasure: the dashboard's own rows go with the rest, the audit log stays.
    token = csrf_of(casey.get(f"/clients/{seeded.flagged}").text)
    casey.post(f"/clients/{seeded.flagged}/notes", data={"csrf": token, "note": "a note"})
    casey.post(f"/clients/{seeded.flagged}/tags", data={"csrf": token, "tag": "a tag"})
    mark_reviewed(casey, seeded.flagged)
    erase(db, seeded.flagged)
    assert casey.get(f"/clients/{seeded.flagged}").status_code == 404
    assert "No clients match" in casey.get("/").text
    assert ("casey", "note added", seeded.flagged) in actions(db)


# -- the audit log ---------------------------------------------------------------------------


def test_the_audit_log_records_who_did_what_and_is_append_only(
    db: Database, seeded: Seeded, casey: TestClient
) -> None:
    code = seeded.flagged
    token = csrf_of(casey.get(f"/clients/{code}").text)
    casey.get("/search", params={"q": "beers"})
    casey.get(f"/clients/{code}/export.json")
    casey.post(f"/clients/{code}/notes", data={"csrf": token, "note": "Sensitive words here"})
    casey.post("/sign-out", data={"csrf": token})
    assert actions(db)[2:] == [
        ("casey", "signed in", None),
        ("casey", "viewed client", code),
        ("casey", "searched", None),
        ("casey", "exported JSON", code),
        ("casey", "note added", code),
        ("casey", "viewed client", code),
        ("casey", "signed out", None),
    ]
    with Session(db.engine) as session:
        rows = session.exec(select(AuditEntry)).all()
    assert {r.address for r in rows[2:]} == {"testclient"}
    assert not any("Sensitive" in (r.detail or "") for r in rows)
    assert "client_id" not in AuditEntry.__table__.c  # type: ignore[attr-defined]
    for statement in ("UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))


def test_a_long_transcript_shows_the_newest_and_exports_all(db: Database, seeded: Seeded) -> None:
    from review.clients import client_page

    everything = client_page(db, seeded.flagged, limit=None)
    newest = client_page(db, seeded.flagged, limit=5)
    assert [ln.id for ln in newest.lines] == [ln.id for ln in everything.lines[-5:]]
    assert newest.earlier == len(everything.lines) - 5 and everything.earlier == 0
