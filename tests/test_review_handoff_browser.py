"""A person steps in, end to end (issue 12): Alex talks to the running bot on Telegram (the real
PTB application polling the Bot API double) and asks for a real person; Casey, a counselor in
headless Chromium (Playwright) on the dashboard served beside the bot, finds Alex at the top of
the queue, takes over the chat, reads Alex live, writes through the bot, and hands back; the bot
says so and picks up where it was. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prompts import html_to_plain as plain
from review import accounts
from review.config import ReviewSettings
from review.server import Beside
from tests.cli_runner import REPO
from tests.review_seed import PASSWORD
from tests.telegram_bot import ALEX, SAM, Person, bot_services, running
from tests.telegram_double import TelegramDouble
from tests.test_review_telegram import free_port

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("ALONGSIDE_REQUIRE_BROWSER") != "1",
    reason="browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


async def test_a_client_on_telegram_asks_for_a_person_and_a_counselor_in_chromium_steps_in(
    tmp_path: Path, double: TelegramDouble
) -> None:
    from playwright.async_api import async_playwright, expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    settings = {"ALONGSIDE_SCHEDULER_INTERVAL": 0.2, "ALONGSIDE_SERVICE_HOURS": "always"}
    with bot_services(tmp_path, double, **settings) as services:
        accounts.add(services.db, "casey", PASSWORD, role="counselor", actor="test", address="x")
        port = free_port()
        beside = Beside(services.db, ReviewSettings(ALONGSIDE_REVIEW_PORT=port))
        base = f"http://127.0.0.1:{port}"
        async with running(services, double, beside=beside) as bot, async_playwright() as pw:
            sam = Person(bot, SAM)  # another client, with unread messages
            await sam.says("/start")
            await sam.taps("Yes, that's OK")
            await sam.taps("Yes, they may read it")
            await sam.says("my gambling, mostly online poker at night")
            alex = Person(bot, ALEX)
            await alex.says("/start")
            await alex.taps("Yes, that's OK")
            asked = await alex.taps("Yes, they may read it")
            question = asked[-1].text.splitlines()[-1]
            offer = await alex.says("can i talk to a real person pls")
            assert "Someone from the team can write to you here" in offer[-1].text
            agreed = await alex.taps("Yes, a person can write")
            assert "someone will write to you here as soon as they can" in agreed[0].text

            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            await page.goto(f"{base}/")
            await page.get_by_label("Name").fill("casey")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            first = page.locator("table.clients tbody tr").first
            await expect(first).to_contain_text("asking for a person")
            second = page.locator("table.clients tbody tr").nth(1)
            await expect(second).to_contain_text("unread messages")
            await page.screenshot(path=SHOTS / "handoff-queue.png", full_page=True)

            await first.locator("a.code").click()
            await page.get_by_role("button", name="Take over the chat").click()
            await double.wait_until(
                lambda: "casey from the team is here now" in plain(alex.last.text)
            )

            assert await alex.says("hi. thanks for coming, its been a rough week") == []
            live = page.frame_locator("iframe.live")
            await expect(live.get_by_text("its been a rough week")).to_be_visible(timeout=10_000)
            await page.get_by_label("Your message").fill("Hi, I'm Casey. What's been hardest?")
            await page.get_by_role("button", name="Send").click()
            await double.wait_until(lambda: "What's been hardest?" in plain(alex.last.text))
            assert alex.last.text.startswith("<b>casey (a person from the team):</b>")
            assert await alex.says("the nights mostly") == []  # the bot is quiet
            await expect(live.get_by_text("the nights mostly")).to_be_visible(timeout=10_000)
            await expect(live.locator(".msg.person .who").first).to_contain_text("casey")
            await page.screenshot(path=SHOTS / "handoff-live.png", full_page=True)

            await page.get_by_role("button", name="Hand back to the bot").click()
            await expect(page.get_by_role("button", name="Offer to write to them")).to_be_visible()
            await double.wait_until(lambda: "handed the chat back to me" in plain(alex.last.text))
            assert plain(alex.last.text).endswith(plain(question))  # the bot picks up where it was
            transcript = page.locator("ol.chat .msg .who")
            await expect(transcript.filter(has_text="casey")).to_have_count(1)
            await browser.close()
            assert problems == []  # no Content-Security-Policy violations, no broken resources
