"""Prometheus metrics of the bot process (served at /metrics by `bot.health`). Counts and
times only: no client, no text, no chat id in any label."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from storage import Database
from storage.queues import QueueDepths, queue_depths

REGISTRY = CollectorRegistry(auto_describe=True)

RECEIVED = Counter(
    "alongside_updates_received", "Updates committed to the inbox", registry=REGISTRY
)
TURNS = Counter(
    "alongside_turns", "Turns taken from the inbox, by outcome", ["outcome"], registry=REGISTRY
)  # outcome: done | duplicate | failed
TURN_SECONDS = Histogram(
    "alongside_turn_seconds",
    "Time to claim, run and commit one turn",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
SENDS = Counter("alongside_sends", "Messages Telegram accepted", registry=REGISTRY)
SEND_ERRORS = Counter(
    "alongside_send_errors", "Sends that failed, by kind", ["kind"], registry=REGISTRY
)  # kind: blocked | too_many_requests | the Telegram error's type
TOO_MANY_REQUESTS = Counter(
    "alongside_too_many_requests",
    "Requests Telegram answered 429 Too Many Requests (each retry counts)",
    registry=REGISTRY,
)
SAFETY_EVENTS = Counter(
    "alongside_safety_events",
    "Safety events recorded by turns, by category",
    ["category"],
    registry=REGISTRY,
)  # category: suicide | overdose | medical | violence | past | possible
CHECKINS = Counter(
    "alongside_checkins_sent",
    "Scheduled check-ins queued for clients (sent from the outbox)",
    registry=REGISTRY,
)
SCHEDULED = Counter(
    "alongside_scheduled_turns",
    "Clients given a check-in or a timed message by the scheduler",
    registry=REGISTRY,
)


class QueueCollector(Collector):
    """Inbox and outbox depth and age, read from the database at each scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depths = queue_depths(self.db)
        except Exception:  # the database is away: /readyz says so; no queue figures
            return
        yield from _gauges(depths, time.time())

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())


def _gauges(depths: QueueDepths, now: float) -> Iterator[GaugeMetricFamily]:
    for name, count, oldest in (
        ("inbox", depths.inbox, depths.inbox_oldest),
        ("outbox", depths.outbox, depths.outbox_oldest),
    ):
        yield GaugeMetricFamily(f"alongside_{name}_depth", f"Rows waiting in the {name}", count)
        age = now - oldest.timestamp() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            f"alongside_{name}_oldest_seconds", f"Age of the oldest row in the {name}", age
        )
