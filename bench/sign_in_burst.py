"""A burst of parallel sign-in guesses against `alongside review`: how many reach Argon2, and
how much memory the dashboard's process takes meanwhile.

Run: `.venv/bin/python bench/sign_in_burst.py [--attempts 120]`. Prints its figures; asserts
nothing. Each scenario starts a fresh `alongside review` process on a fresh SQLite file (so its
peak memory, VmHWM, is the scenario's own), behind 127.0.0.1 as a trusted proxy so the guesses
can come from many addresses (X-Forwarded-For). Password checks are counted from the audit log:
each "sign-in failed" or "signed in" entry is one Argon2 verification; "sign-in throttled" and
"sign-in busy" ones are refused before any hashing. Only loopback is ever contacted."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlmodel import Session, select

from review import accounts
from storage import Database
from storage.review_models import AuditEntry

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench " + secrets.token_urlsafe(16)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CHECKED = ("sign-in failed", "signed in")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """The server's resident memory every 5 ms (VmHWM alone can be reset by nothing)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, memory_kib(self.pid, "VmRSS"))
            time.sleep(0.005)


async def burst(base: str, guesses: list[tuple[str, str]]) -> float:
    """Every guess (name, address) fetched its form first; then all posts at once."""
    clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in guesses]
    try:
        forms = []
        for client, (_, where) in zip(clients, guesses, strict=True):
            page = await client.get("/sign-in", headers={"X-Forwarded-For": where})
            found = CSRF.search(page.text)
            assert found, "no sign-in form"
            forms.append(found.group(1))
        started = time.perf_counter()
        await asyncio.gather(
            *(
                client.post(
                    "/sign-in",
                    data={"username": name, "password": "a wrong guess " + str(i), "csrf": csrf},
                    headers={"X-Forwarded-For": where},
                )
                for i, (client, (name, where), csrf) in enumerate(
                    zip(clients, guesses, forms, strict=True)
                )
            )
        )
        return time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()


def scenario(name: str, guesses: Callable[[int], list[tuple[str, str]]], n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        db = Database(url)
        db.migrate()
        accounts.add(db, "casey", PASSWORD, role="counselor", actor="bench", address="local")
        port = free_port()
        env = {
            **os.environ,
            "ALONGSIDE_DATABASE_URL": url,
            "ALONGSIDE_REVIEW_PORT": str(port),
            "ALONGSIDE_REVIEW_TRUSTED_PROXIES": "127.0.0.1",
            "TELEGRAM_BOT_TOKEN": "",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "review"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            before = memory_kib(server.pid, "VmRSS")
            sampler = Sampler(server.pid)
            sampler.start()
            took = asyncio.run(burst(base, guesses(n)))
            sampler.done.set()
            sampler.join()
            peak = max(sampler.peak, memory_kib(server.pid, "VmHWM"))
        finally:
            server.terminate()
            server.wait(timeout=10)
        with Session(db.engine) as session:
            outcomes = Counter(
                session.exec(select(AuditEntry.action).where(AuditEntry.actor != "bench")).all()
            )
        db.dispose()
    checks = sum(outcomes[a] for a in CHECKED)
    print(
        f"| {name} | {n} | {checks} | {outcomes['sign-in throttled']} | "
        f"{outcomes['sign-in busy']} | {before / 1024:.0f} | {peak / 1024:.0f} | {took:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=120)
    args = parser.parse_args()
    print(
        "| scenario | attempts | password checks | throttled | busy | RSS before (MiB) "
        "| peak RSS (MiB) | seconds |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    scenario("one account, one address", lambda n: [("casey", "198.51.100.1")] * n, args.attempts)
    scenario(
        "one account, an address each",
        lambda n: [("casey", f"198.51.100.{i % 250 + 1}") for i in range(n)],
        args.attempts,
    )
    scenario(
        "a name and an address each",
        lambda n: [(f"guess{i}", f"203.0.113.{i % 250 + 1}") for i in range(n)],
        args.attempts,
    )


if __name__ == "__main__":
    main()
