"""The safety flow end to end on Telegram (the real `Application` against the Bot API double):
the numbers and the check in the client's chat, an alert in the on-call chat with the client's
code and never their words, retried when it fails; /sos; and logs without the words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import Services
from storage.models import SafetyEvent
from tests.telegram_bot import ALEX, SAM, Person, RunningBot, bot_services, running
from tests.telegram_double import TelegramDouble
from tests.test_telegram import client_row, labels

ON_CALL = -100_777  # the counselors' group chat
CHECK_BUTTONS = ["No, I'm not safe", "Yes, I'm safe right now", "I'm in another country"]


def safety_events(services: Services) -> list[SafetyEvent]:
    with Session(services.db.engine) as session:
        return list(session.exec(select(SafetyEvent).order_by(SafetyEvent.id)).all())  # type: ignore[arg-type]


@pytest.fixture(params=[True], ids=["alerts on"])
def services(
    request: pytest.FixtureRequest, tmp_path: Path, double: TelegramDouble
) -> Iterator[Services]:
    alerts_to = str(ON_CALL) if request.param else ""
    with bot_services(tmp_path, double, ALONGSIDE_ALERT_CHAT_ID=alerts_to) as services:
        yield services


async def test_a_crisis_message_before_consent_gets_help_and_alerts_without_the_words(
    alex: Person, double: TelegramDouble, services: Services
) -> None:
    await alex.says("/start")
    replies = await alex.says("i want to end it all tonight")

    text = "\n".join(r.text for r in replies)
    assert "findahelpline.com" in text
    assert labels(replies[-1]) == CHECK_BUTTONS
    assert "Are you safe right now?" in replies[-1].text

    code = client_row(services, ALEX).code
    (alert,) = double.chats[ON_CALL].messages
    assert code in alert.text and "suicide" in alert.text
    assert "end it all" not in alert.text and "tonight" not in alert.text
    (event,) = safety_events(services)
    assert (event.category, event.flow, event.state) == ("suicide", "welcome", "consent")
    assert event.transcript_event_id is None and event.alerted_at is not None

    # One tap does not end it: "I'm safe" brings the numbers back and a question.
    follow_up = await alex.taps("Yes, I'm safe right now")
    assert "/sos brings them all back" in follow_up[-1].text
    assert "How are you feeling at the moment?" in follow_up[-1].text
    assert len(double.chats[ON_CALL].messages) == 1  # one event, one alert


async def test_an_alert_that_fails_goes_out_with_a_later_turn_once(
    alex: Person, double: TelegramDouble, services: Services
) -> None:
    await alex.consents()
    double.failing[ON_CALL] = 1
    await alex.says("my friend is turning blue and wont wake up")
    assert double.chats[ON_CALL].messages == []
    assert safety_events(services)[0].alert_attempts == 1

    await alex.taps("Yes, I'm safe right now")
    (alert,) = double.chats[ON_CALL].messages
    assert "overdose" in alert.text and client_row(services, ALEX).code in alert.text
    assert "blue" not in alert.text
    await alex.says("ok now")
    assert len(double.chats[ON_CALL].messages) == 1


async def test_repeats_of_a_category_share_one_alert_and_a_new_category_gets_its_own(
    alex: Person, double: TelegramDouble, services: Services
) -> None:
    await alex.consents()
    await alex.says("i want to die")
    await alex.taps("Yes, I'm safe right now")
    await alex.says("no i really want to kill myself")
    await alex.says("my husband is hurting me")
    alerts = [m.text for m in double.chats[ON_CALL].messages]
    assert len(alerts) == 2 and "suicide" in alerts[0] and "violence" in alerts[1]
    assert len(safety_events(services)) == 3
    assert all(event.alerted_at is not None for event in safety_events(services))


async def test_a_past_mention_is_recorded_but_raises_no_alarm(
    alex: Person, double: TelegramDouble, services: Services
) -> None:
    await alex.consents()
    replies = await alex.says("I tried to kill myself when I was 19, I'm good now")
    assert "How are things for you now?" in replies[-1].text
    assert "Emergency" not in "\n".join(r.text for r in replies)
    assert double.chats[ON_CALL].messages == []
    (event,) = safety_events(services)
    assert event.category == "past" and event.transcript_event_id is not None


async def test_sos_any_time_with_the_country_from_the_language_and_in_the_command_menu(
    alex: Person, double: TelegramDouble, services: Services
) -> None:
    assert "sos" in {c["command"] for c in double.commands[0]}
    await alex.says("/start")
    replies = await alex._turn(lambda: double.push_command(ALEX, "/sos", language_code="en-GB"))
    text = "\n".join(r.text for r in replies)
    assert "Help in the United Kingdom" in text and "116 123" in text
    assert "I guessed your country" in text
    await alex.taps("I'm in another country")
    replies = await alex.says("Australia")
    assert "Help in Australia" in replies[0].text and "13 11 14" in replies[0].text
    assert client_row(services, ALEX).country == "AU"
    assert double.chats[ON_CALL].messages == []  # /sos is a request, not an alarm
    assert safety_events(services) == []


@pytest.mark.parametrize("services", [False], ids=["alerts off"], indirect=True)
async def test_without_an_alert_chat_nothing_is_sent_anywhere_else(
    alex: Person, double: TelegramDouble, services: Services
) -> None:
    await alex.consents()
    await alex.says("he said he's going to kill me")
    assert set(double.chats) == {ALEX}
    assert safety_events(services)[0].category == "violence"


async def test_logs_never_hold_the_words_that_triggered_the_screen(
    app_logging: pytest.LogCaptureFixture, services: Services, double: TelegramDouble
) -> None:
    words = ["i want to kill myself tonight", "my mate has overdosed on fentanyl"]
    async with running(services, double) as under_test:
        alex = Person(under_test, ALEX)
        await alex.says(words[0])  # before consent
        await alex.consents()
        await alex.says(words[1])
    records = app_logging.records
    assert any("safety screen" in r.getMessage() for r in records)
    assert any("safety alert" in r.getMessage() for r in records)
    for fragment in ("kill myself", "fentanyl", "overdosed on"):
        assert fragment not in app_logging.text


async def test_a_weaker_sign_asks_directly_and_only_a_yes_alerts(
    alex: Person, bot: RunningBot, double: TelegramDouble, services: Services
) -> None:
    await alex.consents()
    await alex.says("I got so wasted lol")
    await alex.says("drinking")
    replies = await alex.says("i cant do this anymore")
    assert "thoughts of ending your life" in replies[-1].text
    assert "Emergency" not in "\n".join(r.text for r in replies)
    assert double.chats[ON_CALL].messages == []  # a direct question is no alarm
    no = await alex.taps("No")  # sorry; what they wrote is taken as their hope, and on we go
    assert "Sorry, I got that wrong" in no[0].text
    assert "what is drinking like in your life" in no[-1].text
    assert double.chats[ON_CALL].messages == []

    sam = Person(bot, SAM)
    await sam.consents()
    await sam.says("i feel so trapped")
    yes = await sam.taps("Yes")
    assert "Emergency" in "\n".join(r.text for r in yes)
    assert [label for label, _ in yes[-1].buttons] == CHECK_BUTTONS
    (alert,) = double.chats[ON_CALL].messages
    assert client_row(services, SAM).code in alert.text and "suicide" in alert.text
    assert "trapped" not in alert.text
    events = safety_events(services)
    assert [e.category for e in events] == ["possible", "possible", "suicide"]
    assert events[-1].signal == "direct_check.concern_yes" and events[-1].alerted_at is not None
    assert events[0].alerted_at is None and events[1].alerted_at is None


async def test_an_alert_does_not_wait_behind_a_busy_outbox(
    tmp_path: Path, double: TelegramDouble
) -> None:
    """Forty clients' replies queued at 4 a second (10 s of sending): the on-call chat hears of
    a crisis within a couple of seconds all the same."""
    settings = {
        "ALONGSIDE_ALERT_CHAT_ID": str(ON_CALL),
        "ALONGSIDE_SEND_PER_SECOND": 4,
        "ALONGSIDE_SHUTDOWN_GRACE": 0.5,
    }
    with bot_services(tmp_path, double, **settings) as services:
        async with running(services, double):
            for chat in range(40):
                double.push_command(5_000 + chat, "/start")
            await double.wait_until(lambda: len(double.chats) > 2)  # sending has begun
            double.push_text(ALEX, "i want to end it all tonight")
            await double.wait_until(lambda: bool(double.chats[ON_CALL].messages), timeout=4)
            assert sum(bool(double.chats[5_000 + c].messages) for c in range(40)) < 40
