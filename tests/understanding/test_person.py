"""Asking for a person, read from the client's own words: typos, no capitals, no question mark,
textspeak; and the words about people that are not a request (a feeling, a friend, listening,
frustration with the bot, not wanting one)."""

from __future__ import annotations

import pytest

from dialogs.understanding import understand
from dialogs.understanding.person import asks_for_person, might_ask_for_person


def asks(text: str) -> bool:
    return asks_for_person(text, understand(text, expects="text"))


@pytest.mark.parametrize(
    "said",
    [
        "can i talk to a real person",
        "is this a bot",
        "i want a human",
        "can i speak to someone real",
        "can i tlak to a real persn pls",
        "can i spek to a humna",
        "I WANT A HUMAN",
        "r u a bot",
        "get me a human",
        "want a human not a bot",
        "can u get someone real to text me",
        "is anyone actually there",
        "hello?? is anyone there",
        "i wanna talk to an actual person not a robot",
        "is there a real counsellor i can talk to",
        "can i talk to somebody real pls",
        "i want to talk to a counsellor",
    ],
)
def test_a_request_for_a_person_in_the_clients_own_voice(said: str) -> None:
    assert might_ask_for_person(said) and asks(said)


@pytest.mark.parametrize(
    "said",
    [
        "i feel like a bad person",
        "im a terrible person",
        "honestly it feels real bad",
        "i dont want to talk to a real person",
        "i dont need a human",
        "just want someone to talk to",
        "i just want to talk to someone tbh",
        "someone to talk to",
        "ur just a bot. u dont get it",
        "what can you do",
        "is this private",
        "can i speak to my doctor about this",
        "my counsellor says i drink too much",
        "i drink with people from work",
        "someone offered me a line and i took it",
        "i want to quit drinking",
    ],
)
def test_words_about_people_or_the_bot_that_do_not_ask_for_one(said: str) -> None:
    assert not asks(said)


def test_the_first_look_needs_no_classifier_and_lets_ordinary_answers_pass() -> None:
    assert not might_ask_for_person("four or five beers most evenings after work")
    assert not might_ask_for_person("it helps me switch off")
