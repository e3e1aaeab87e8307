"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright,
against `alongside review` serving a seeded SQLite file. A counselor made with
`alongside counselor add` signs in with the keyboard, finds the flagged client, reads the
transcript, adds a note and exports it. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storage import Database
from tests.cli_runner import REPO, alongside
from tests.review_seed import CRISIS, PASSWORD, Seeded, seed

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("ALONGSIDE_REQUIRE_BROWSER") != "1",
    reason="browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    db = Database(url)
    db.migrate()
    seeded = seed(db)
    db.dispose()
    port = free_port()
    env = {
        "ALONGSIDE_DATABASE_URL": url,
        "ALONGSIDE_REVIEW_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": "",
    }
    added = alongside("counselor", "add", "casey", env=env, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "review"],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/sign-in", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield base, seeded
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        logged = process.stderr.read().decode()
        assert PASSWORD not in logged and CRISIS not in logged  # nothing sensitive in the logs


def test_a_counselor_signs_in_finds_a_flagged_client_adds_a_note_and_exports(
    server: tuple[str, Seeded], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, seeded = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

        # Sign in with the keyboard alone: the name field has focus.
        page.goto(f"{base}/")
        expect(page).to_have_url(f"{base}/sign-in")
        page.screenshot(path=SHOTS / "sign-in.png")
        page.keyboard.type("casey")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Clients")).to_be_visible()
        # The triage queue: the unreviewed safety event first, saying why.
        queue = page.locator("table.clients tbody tr")
        expect(queue.first).to_contain_text("1 safety event not yet reviewed")
        expect(queue.first).to_contain_text(seeded.flagged)
        expect(queue.nth(1)).to_contain_text("unread messages")
        page.screenshot(path=SHOTS / "clients.png", full_page=True)

        # Only the flagged client, then their page.
        page.get_by_label("Safety flag").check()
        page.get_by_role("button", name="Apply").click()
        rows = page.locator("table.clients tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("1 safety")
        rows.first.get_by_role("link", name=seeded.flagged).click()
        expect(page.get_by_role("heading", name=f"Client {seeded.flagged}")).to_be_visible()
        flagged = page.locator(".msg.safety")
        expect(flagged).to_contain_text(CRISIS)
        expect(flagged).to_contain_text("Safety event: suicide")
        expect(page.locator("svg.chart circle")).to_have_count(8)
        page.screenshot(path=SHOTS / "client.png", full_page=True)

        # A note, kept on the page.
        page.get_by_label("New note").fill("Reached out by phone; follow up on Monday.")
        page.get_by_role("button", name="Add note").click()
        expect(page.locator(".notes")).to_contain_text("follow up on Monday")
        page.screenshot(path=SHOTS / "client-top.png")
        page.locator(".msg.safety").scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "client-safety.png")

        # Read to the end, mark reviewed there: the client leaves the top of the queue.
        page.get_by_role("link", name="jump to the newest").click()
        page.locator("#latest").get_by_role("button", name="Mark reviewed").click()
        expect(page.get_by_text("reviewed", exact=False).first).to_be_visible()
        page.goto(f"{base}/")
        expect(queue.first).to_contain_text(seeded.hostile)
        flagged_row = page.locator("table.clients tbody tr", has_text=seeded.flagged)
        expect(flagged_row).to_contain_text("nothing new since the last review")
        page.goto(f"{base}/clients/{seeded.flagged}")

        # Export: a JSON download, and the printable page.
        with page.expect_download() as download:
            page.get_by_role("link", name="Export JSON").click()
        saved = tmp_path / "export.json"
        download.value.save_as(saved)
        exported = json.loads(saved.read_text())
        assert exported["client"] == seeded.flagged
        assert any(m["text"] == CRISIS for m in exported["transcript"])
        page.get_by_role("link", name="Printable page").click()
        expect(page.get_by_role("heading", name=f"Client {seeded.flagged}")).to_be_visible()
        page.emulate_media(media="print")
        page.screenshot(path=SHOTS / "print.png", full_page=True)
        page.emulate_media(media="screen")

        # Search finds the flagged client's words.
        page.goto(f"{base}/search")
        page.get_by_label("Words to find").fill("switch off")
        page.keyboard.press("Enter")
        expect(page.locator(".hits li")).to_have_count(3)  # their words, and two reflections
        page.screenshot(path=SHOTS / "search.png", full_page=True)

        # On a phone.
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.add_cookies(context.cookies())
        small = phone.new_page()
        small.goto(f"{base}/")
        small.screenshot(path=SHOTS / "phone-clients.png", full_page=True)
        small.goto(f"{base}/clients/{seeded.flagged}")
        expect(small.locator(".msg.safety")).to_be_visible()
        small.screenshot(path=SHOTS / "phone-client.png")
        browser.close()
    assert problems == []  # no Content-Security-Policy violations, no broken resources
