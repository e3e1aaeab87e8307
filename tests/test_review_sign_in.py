"""Signing in to the dashboard under attack: guesses sent all at once, from one address or
many, reach Argon2 no more often than the limits allow, a few at a time, in little memory;
a block ends and cannot be prolonged by knocking; the owner's own browser still gets in; and
weak passwords are refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from review import accounts, throttle
from review.app import SIGN_IN_BUSY, SIGN_IN_FAILED, create_app
from review.config import ReviewSettings
from review.devices import COOKIE as DEVICE
from review.server import Beside
from storage import Database
from storage.models import utcnow
from storage.review_models import AuditEntry, SignInThrottle
from tests.review_client import csrf_of, sign_in
from tests.review_seed import PASSWORD, add_accounts

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CHECKS_AT_ONCE = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Argon2Watch:
    """The dashboard's password hasher, counting every check it makes and how many ran at the
    same moment."""

    hasher: PasswordHasher
    checks: int = 0
    running: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, hashed: str, password: str) -> bool:
        with self.lock:
            self.checks += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return self.hasher.verify(hashed, password)
        finally:
            with self.lock:
                self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Argon2Watch:
    watched = Argon2Watch(accounts.HASHER)
    monkeypatch.setattr(accounts, "HASHER", watched)
    return watched


@pytest.fixture
def dashboard(db: Database) -> Iterator[str]:
    """`alongside review` as it runs beside the terminal chat: uvicorn in a thread, behind
    127.0.0.1 as a trusted proxy so guesses can come from many addresses."""
    add_accounts(db)
    port = free_port()
    settings = ReviewSettings(
        ALONGSIDE_REVIEW_PORT=port,
        ALONGSIDE_REVIEW_TRUSTED_PROXIES="127.0.0.1",
        ALONGSIDE_REVIEW_SIGN_IN_CHECKS=CHECKS_AT_ONCE,
    )
    beside = Beside(db, settings)
    beside.start_thread()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    yield base
    beside.stop_thread()


class Memory(threading.Thread):
    """This process's resident memory, sampled every 5 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_kib = self.read()
        self.peak_kib = self.start_kib
        self.done = threading.Event()

    @staticmethod
    def read() -> int:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kib = max(self.peak_kib, self.read())
            time.sleep(0.005)

    def growth_mib(self) -> float:
        self.done.set()
        self.join()
        return (self.peak_kib - self.start_kib) / 1024


async def guess_all_at_once(base: str, guesses: list[tuple[str, str]]) -> list[int]:
    """Each guess (name, address) reads its own form first; then every post goes at once."""
    limits = httpx.Limits(max_connections=None)
    browsers = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in guesses]
    try:
        tokens = []
        for browser, (_, where) in zip(browsers, guesses, strict=True):
            form = await browser.get("/sign-in", headers={"X-Forwarded-For": where})
            tokens.append(csrf_of(form.text))
        answers = await asyncio.gather(
            *(
                browser.post(
                    "/sign-in",
                    data={"username": name, "password": f"guess number {i}", "csrf": token},
                    headers={"X-Forwarded-For": where},
                )
                for i, (browser, (name, where), token) in enumerate(
                    zip(browsers, guesses, tokens, strict=True)
                )
            )
        )
        return [a.status_code for a in answers]
    finally:
        for browser in browsers:
            await browser.aclose()


def outcomes(db: Database) -> list[str]:
    with Session(db.engine) as session:
        return list(session.exec(select(AuditEntry.action).where(AuditEntry.actor != "test")))


# -- guesses all at once ---------------------------------------------------------------------


async def test_120_guesses_at_once_from_one_address_reach_argon2_five_times(
    db: Database, dashboard: str, watch: Argon2Watch
) -> None:
    memory = Memory()
    memory.start()
    answers = await guess_all_at_once(dashboard, [("casey", "198.51.100.7")] * 120)
    grew = memory.growth_mib()
    assert 0 < watch.checks <= accounts.MAX_CHECKS_PER_ACCOUNT  # however many raced
    assert watch.most_at_once <= CHECKS_AT_ONCE
    assert set(answers) <= {401, 503}
    done = outcomes(db)
    assert done.count("sign-in failed") == watch.checks
    assert done.count("sign-in throttled") + done.count("sign-in busy") == 120 - watch.checks
    assert grew < 64 * (CHECKS_AT_ONCE + 2), f"memory grew {grew:.0f} MiB"


async def test_guesses_at_one_account_from_120_addresses_are_limited_by_the_account(
    db: Database, dashboard: str, watch: Argon2Watch
) -> None:
    guesses = [("casey", f"198.51.100.{i + 1}") for i in range(60)]
    await guess_all_at_once(dashboard, guesses)
    assert 0 < watch.checks <= accounts.MAX_CHECKS_PER_ACCOUNT
    assert watch.most_at_once <= CHECKS_AT_ONCE


async def test_guesses_at_many_names_from_one_address_are_limited_by_the_address(
    db: Database, dashboard: str, watch: Argon2Watch
) -> None:
    await guess_all_at_once(dashboard, [(f"name{i}", "203.0.113.5") for i in range(60)])
    # Each name has slots of its own, the address has 20: a few of those may have been given
    # back by sign-ins that found no free check in time (then the address was already full).
    assert 0 < watch.checks <= accounts.MAX_CHECKS_PER_ADDRESS
    assert watch.most_at_once <= CHECKS_AT_ONCE


async def test_guesses_spread_over_names_and_addresses_run_a_few_at_a_time(
    db: Database, dashboard: str, watch: Argon2Watch
) -> None:
    memory = Memory()
    memory.start()
    guesses = [(f"name{i}", f"203.0.113.{i + 1}") for i in range(40)]
    answers = await guess_all_at_once(dashboard, guesses)
    grew = memory.growth_mib()
    assert watch.most_at_once <= CHECKS_AT_ONCE  # each has slots of its own: only the gate holds
    assert watch.checks == answers.count(401)  # a busy one was refused before Argon2
    assert grew < 64 * (CHECKS_AT_ONCE + 2), f"memory grew {grew:.0f} MiB"


# -- a block ends, and knocking does not prolong it ------------------------------------------


def test_a_full_window_blocks_for_a_while_then_longer_never_for_good(db: Database) -> None:
    casey = [throttle.bucket("account", "casey", 5)]
    now = utcnow()
    assert all(throttle.take(db, casey, now) for _ in range(5))
    assert not throttle.take(db, casey, now)
    for minutes in range(1, 15):  # knocking all through the block changes nothing
        assert not throttle.take(db, casey, now + timedelta(minutes=minutes))
    later = now + throttle.WINDOW
    assert all(throttle.take(db, casey, later) for _ in range(5))  # the owner's turn again
    assert not throttle.take(db, casey, later + timedelta(minutes=29))  # twice as long now
    again = later + 2 * throttle.WINDOW
    waits = []
    for _ in range(6):  # an attacker who fills every window as it opens
        assert all(throttle.take(db, casey, again) for _ in range(5))
        with Session(db.engine) as session:
            row = session.get(SignInThrottle, casey[0].key)
            assert row is not None and row.blocked_until is not None
            waits.append(row.blocked_until - again)
            again = row.blocked_until
    assert waits[0] == 4 * throttle.WINDOW and max(waits) == throttle.MAX_BLOCK


def test_a_window_that_passes_without_filling_starts_afresh(db: Database) -> None:
    casey = [throttle.bucket("account", "casey", 5)]
    now = utcnow()
    assert all(throttle.take(db, casey, now) for _ in range(4))
    assert all(throttle.take(db, casey, now + throttle.WINDOW) for _ in range(4))


def test_no_slot_is_taken_anywhere_when_one_bucket_is_full(db: Database) -> None:
    now = utcnow()
    address = throttle.bucket("address", "198.51.100.7", 1)
    assert throttle.take(db, [address], now)
    casey = throttle.bucket("account", "casey", 5)
    assert not throttle.take(db, [casey, address], now)
    with Session(db.engine) as session:
        assert session.get(SignInThrottle, casey.key) is None  # rolled back with the rest
        assert "casey" not in str(session.exec(select(SignInThrottle.key)).all())


# -- the owner is not locked out -------------------------------------------------------------


@pytest.fixture
def browsers(db: Database) -> Iterator[Callable[[], TestClient]]:
    add_accounts(db)
    app = create_app(db, ReviewSettings(ALONGSIDE_REVIEW_SIGN_IN_CHECKS=CHECKS_AT_ONCE))
    opened: list[TestClient] = []

    def browser() -> TestClient:
        client = TestClient(app, follow_redirects=True)
        client.__enter__()
        opened.append(client)
        return client

    yield browser
    for client in opened:
        client.__exit__(None, None, None)


def test_guesses_at_an_account_do_not_lock_out_the_browser_its_owner_uses(
    db: Database, browsers: Callable[[], TestClient]
) -> None:
    caseys_laptop = browsers()
    assert "Clients" in sign_in(caseys_laptop, "casey", PASSWORD)
    caseys_laptop.post("/sign-out", data={"csrf": csrf_of(caseys_laptop.get("/").text)})
    attacker = browsers()
    for _ in range(accounts.MAX_CHECKS_PER_ACCOUNT + 3):
        assert SIGN_IN_FAILED in sign_in(attacker, "casey", "is it summer2024")
    assert SIGN_IN_FAILED in sign_in(attacker, "casey", PASSWORD)  # blocked: right or wrong
    assert SIGN_IN_FAILED in sign_in(browsers(), "casey", PASSWORD)  # a new browser waits too
    assert "Clients" in sign_in(caseys_laptop, "casey", PASSWORD)  # casey's own gets in
    # That browser has limits of its own: stolen, it is no way round them.
    for _ in range(accounts.MAX_CHECKS_PER_ACCOUNT):
        sign_in(caseys_laptop, "casey", "not it at all")
    assert SIGN_IN_FAILED in sign_in(caseys_laptop, "casey", PASSWORD)


def test_a_browser_is_trusted_only_for_the_account_that_signed_in_there(
    db: Database, browsers: Callable[[], TestClient]
) -> None:
    shared = browsers()
    assert "Clients" in sign_in(shared, "casey", PASSWORD)
    assert any(c.name == DEVICE for c in shared.cookies.jar)
    for _ in range(accounts.MAX_CHECKS_PER_ACCOUNT):
        sign_in(browsers(), "ada", "a guess at ada's")
    assert SIGN_IN_FAILED in sign_in(shared, "ada", PASSWORD)  # casey's browser, ada's throttle


def test_a_new_password_ends_the_trust_in_every_browser(
    db: Database, browsers: Callable[[], TestClient]
) -> None:
    laptop = browsers()
    sign_in(laptop, "casey", PASSWORD)
    accounts.reset_password(db, "casey", "an entirely new one here", actor="test", address="x")
    for _ in range(accounts.MAX_CHECKS_PER_ACCOUNT):
        sign_in(browsers(), "casey", "some guess or other")
    assert SIGN_IN_FAILED in sign_in(laptop, "casey", "an entirely new one here")


def test_when_every_check_is_taken_a_sign_in_is_refused_and_its_slots_given_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_accounts(db)
    gate = throttle.CheckGate(1, wait=0.01)
    with gate.slot() as held:  # another sign-in is checking its password
        assert held
        busy = accounts.authenticate(db, "casey", PASSWORD, address="x", gate=gate)
    assert busy.outcome == "sign-in busy" and busy.account is None
    with Session(db.engine) as session:
        assert all(row.attempts == 0 for row in session.exec(select(SignInThrottle)))
    assert accounts.authenticate(db, "casey", PASSWORD, address="x", gate=gate).account
    app = create_app(db, ReviewSettings())
    with TestClient(app) as browser:
        monkeypatch.setattr(
            accounts, "_attempt", lambda *a, **k: accounts.SignIn(None, "sign-in busy")
        )
        form = browser.get("/sign-in")
        page = browser.post(
            "/sign-in",
            data={"username": "casey", "password": PASSWORD, "csrf": csrf_of(form.text)},
        )
    assert page.status_code == 503 and SIGN_IN_BUSY in page.text


# -- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        (" " * 12, "only spaces"),
        (" " * 40, "only spaces"),
        ("\t \u00a0" * 5, "only spaces"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop123", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("robin-robin-robin", "too easy to guess"),
        ("iloveyou1234", "too easy to guess"),
        ("short one", "at least 12"),
    ],
)
def test_common_and_trivial_passwords_are_refused(db: Database, password: str, why: str) -> None:
    with pytest.raises(accounts.AccountError, match=why):
        accounts.add(db, "robin", password, role="counselor", actor="test", address="x")
    assert accounts.accounts(db) == []


def test_an_admin_adding_an_account_is_told_why_a_password_will_not_do(db: Database) -> None:
    add_accounts(db)
    with TestClient(create_app(db, ReviewSettings()), follow_redirects=True) as browser:
        sign_in(browser, "ada", PASSWORD)
        token = csrf_of(browser.get("/admin/accounts").text)
        page = browser.post(
            "/admin/accounts",
            data={"csrf": token, "username": "robin", "password": "Password1234!"},
        )
    assert page.status_code == 400 and "too easy to guess" in page.text
    assert [a.username for a in accounts.accounts(db)] == ["ada", "casey"]
