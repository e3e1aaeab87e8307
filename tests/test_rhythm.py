"""Time for check-ins: the client's local time in plain words, quiet hours, the next slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialogs.rhythm import (
    ShiftedClock,
    first_due,
    following_due,
    is_quiet,
    local,
    morning_after,
    parse_local_time,
    resumed_due,
    utc_offset_for,
)

NOON_UTC = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "minute"),
    [
        ("14:30", 14 * 60 + 30),
        ("2:30pm", 14 * 60 + 30),
        ("2.30 p.m.", 14 * 60 + 30),
        ("9am", 9 * 60),
        ("12am", 0),
        ("12 pm", 12 * 60),
        ("it's 7", 7 * 60),
        ("0:05", 5),
        ("23h15", 23 * 60 + 15),
    ],
)
def test_a_time_in_plain_words_is_read(said: str, minute: int) -> None:
    assert parse_local_time(said) == minute


@pytest.mark.parametrize("said", ["teatime", "25:00", "13pm", "7:75", "{{ 7*7 }}", "9" * 10_000])
def test_what_is_not_a_time_is_not_read_as_one(said: str) -> None:
    assert parse_local_time(said) is None


@pytest.mark.parametrize(
    ("local_now", "offset"),
    [
        (12 * 60, 0),
        (13 * 60 + 2, 60),  # a clock two minutes fast still gives a whole hour
        (17 * 60 + 30, 330),  # India, +5:30
        (17 * 60 + 45, 345),  # Nepal, +5:45
        (7 * 60, -300),  # New York in winter
        (2 * 60, 14 * 60),  # Kiribati, +14, is already tomorrow
        (0, 12 * 60),  # midnight: +12 (Fiji), not -12 (Baker Island, where nobody lives)
        (1 * 60, 13 * 60),  # Tonga, +13 (rather than Niue, -11)
    ],
)
def test_the_utc_offset_comes_from_the_local_time_rounded_to_a_quarter_hour(
    local_now: int, offset: int
) -> None:
    assert utc_offset_for(local_now, NOON_UTC) == offset


def test_nights_are_quiet_in_the_clients_own_time() -> None:
    assert is_quiet(NOON_UTC, offset=11 * 60)  # 23:00 in Sydney's summer
    assert not is_quiet(NOON_UTC, offset=0)
    assert is_quiet(NOON_UTC.replace(hour=7, minute=59), offset=0)
    assert not is_quiet(NOON_UTC.replace(hour=8), offset=0)
    assert is_quiet(NOON_UTC.replace(hour=22), offset=0)


def test_a_night_time_reminder_moves_to_the_morning() -> None:
    late = NOON_UTC.replace(hour=23)
    assert morning_after(late, 0) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    early = NOON_UTC.replace(hour=3)
    assert morning_after(early, 0) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    # At +2, 23:00 UTC is 01:00 local on the 2nd: the morning is 08:00 local = 06:00 UTC.
    assert morning_after(late, 120) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_the_first_check_in_comes_at_the_chosen_local_time_after_the_cadence() -> None:
    nine = 9 * 60
    daily = first_due(NOON_UTC, "daily", nine, offset=-300)  # 07:00 in New York
    assert local(daily, -300) == datetime(2026, 12, 2, 9, 0)  # 07:00 now: too soon for today
    assert local(first_due(NOON_UTC, "daily", 19 * 60, 0), 0) == datetime(2026, 12, 1, 19, 0)
    assert local(first_due(NOON_UTC, "few_days", nine, 0), 0) == datetime(2026, 12, 4, 9, 0)
    assert local(first_due(NOON_UTC, "weekly", nine, 0), 0) == datetime(2026, 12, 8, 9, 0)
    assert first_due(NOON_UTC, "none", nine, 0) is None
    # A time chosen inside the night is moved to the morning.
    assert local(first_due(NOON_UTC, "weekly", 23 * 60, 0), 0) == datetime(2026, 12, 8, 8, 0)


def test_check_ins_missed_while_down_collapse_into_one_future_slot() -> None:
    nine = 9 * 60
    back_after_ten_days = datetime(2026, 12, 11, 15, 0, tzinfo=UTC)
    slot = following_due(back_after_ten_days, "daily", nine, 0)
    assert slot == datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
    weekly = following_due(back_after_ten_days, "weekly", nine, 0)
    assert weekly == datetime(2026, 12, 18, 9, 0, tzinfo=UTC)
    assert following_due(back_after_ten_days, "none", nine, 0) is None


def test_resuming_picks_the_next_slot_at_the_clients_time() -> None:
    assert resumed_due(NOON_UTC, "daily", 9 * 60, 0) == datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert resumed_due(NOON_UTC, "weekly", 19 * 60, 0) == datetime(2026, 12, 1, 19, tzinfo=UTC)
    assert resumed_due(NOON_UTC, "none", 9 * 60, 0) is None


def test_the_shifted_clock_moves_only_when_told() -> None:
    clock = ShiftedClock(base=lambda: NOON_UTC)
    assert clock() == NOON_UTC
    clock.advance(timedelta(days=1, minutes=5))
    assert clock() == NOON_UTC + timedelta(days=1, minutes=5)
