"""Every question topic has a short, sourced, guarded answer; the unknown one says so honestly."""

from __future__ import annotations

import re

import pytest

from dialogs.understanding import Topic
from dialogs.understanding.knowledge import KNOWLEDGE, UNKNOWN, answer_template
from prompts import Renderer, flagged_phrases, html_to_plain
from prompts.renderer import TEMPLATES_ROOT

ANSWER_LIMIT = 700  # characters: an answer fits on a phone screen


def test_every_topic_has_an_answer() -> None:
    assert set(KNOWLEDGE) == set(Topic)
    assert answer_template(None) == UNKNOWN


@pytest.mark.parametrize("template", [*KNOWLEDGE.values(), UNKNOWN])
def test_answers_are_short_guarded_and_name_their_sources(template: str) -> None:
    renderer = Renderer()
    text = html_to_plain(renderer.render(template, "en").text)
    assert 0 < len(text) <= ANSWER_LIMIT
    assert flagged_phrases(text) == []
    source = (TEMPLATES_ROOT / "en" / f"{template}.j2").read_text(encoding="utf-8")
    assert re.search(r"\{#\s*sources:", source), f"{template} names no sources"


def render(topic: Topic) -> str:
    return html_to_plain(Renderer().render(KNOWLEDGE[topic], "en").text)


def test_the_medically_dangerous_facts_are_there() -> None:
    assert "seizure" in render(Topic.ALCOHOL_WITHDRAWAL)
    assert "GP" in render(Topic.ALCOHOL_WITHDRAWAL)
    assert "seizure" in render(Topic.BENZO_WITHDRAWAL)
    assert "gradually" in render(Topic.BENZO_WITHDRAWAL)
    naloxone = render(Topic.NALOXONE)
    assert "wears off" in naloxone and "emergency services" in naloxone
    assert "pharmac" in naloxone  # where people get it
    assert "test strips" in render(Topic.DRUG_CHECKING)
    assert "slow breathing" in render(Topic.MIXING)
    assert "Never Use Alone" in render(Topic.USING_ALONE)


def test_privacy_says_what_this_service_does() -> None:
    text = html_to_plain(
        Renderer().render(KNOWLEDGE[Topic.PRIVACY], "en", client={"review": False}).text
    )
    for fact in ("probation", "Telegram", "/mydata", "/forget", "only if you say yes", "may not"):
        assert fact in text


def test_the_bot_says_it_is_not_a_person_and_unknown_says_where_to_ask() -> None:
    assert "not a person" in render(Topic.THE_BOT)
    unknown = html_to_plain(Renderer().render(UNKNOWN, "en").text)
    assert "don't know" in unknown and "/sos" in unknown and "pharmacist" in unknown
