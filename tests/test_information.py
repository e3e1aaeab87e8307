"""Information only with permission: every piece of information (a GI template) follows the
client's own yes or their pick of a topic; alcohol and benzodiazepines are recognised in the
client's words, so that a goal to stop or cut down brings the offer about withdrawal."""

from __future__ import annotations

import pytest

from dialogs import Conversation, FlowSet
from dialogs.subjects import mentions_withdrawal_risk
from prompts import Renderer
from tests.harness import TestClient

ASKED_FOR = {"info_yes", "numbers"}  # the client's yes to an offer; "show me the numbers again"


def test_information_is_given_only_after_the_client_asked_for_it(
    flows: FlowSet, renderer: Renderer
) -> None:
    given = []
    for name, flow in flows.flows.items():
        for t in flow.spec.transitions:
            if any(renderer.mi_code(template) == "GI" for template in t.say):
                given.append(f"{name}:{t.trigger}")
                topic_pick = t.trigger.startswith("info_") and t.sources == ("topics",)
                # In the safety flow, the client named their country to get its numbers.
                country = name == "safety" and t.sources == ("country",)
                # A yes or not sure to "are you having thoughts of ending your life?" is a
                # crisis: the numbers come at once, as for any screen hit (CLINICAL.md, Safety).
                crisis = (
                    name == "safety" and t.sources == ("direct_check",) and "concern" in t.trigger
                )
                assert t.trigger in ASKED_FOR or topic_pick or country or crisis, (
                    f"{name}: {t.trigger} gives {t.say}"
                )
    assert len(given) >= 9  # eight topics, and the withdrawal offer


def test_every_offer_of_information_is_a_question_with_a_no(flows: FlowSet) -> None:
    for flow in flows.flows.values():
        for state in flow.spec.states.values():
            if state.say and state.say.startswith("information/offer"):
                assert [c.key for c in state.choices] == ["info_yes", "info_no"]


@pytest.mark.parametrize(
    "words",
    ["my drinking", "Booze", "wine in the evenings", "xanax", "my benzos", "Valium", "beer"],
)
def test_alcohol_and_benzodiazepines_are_recognised(words: str) -> None:
    assert mentions_withdrawal_risk(words)


@pytest.mark.parametrize("words", ["weed", "gaming", "coke at weekends", "my phone", "", "begin"])
def test_other_subjects_are_not_taken_for_them(words: str) -> None:
    assert not mentions_withdrawal_risk(words)


def test_a_safer_goal_about_drinking_gets_no_withdrawal_offer(conversation: Conversation) -> None:
    client = TestClient(conversation)
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("No, thank you")
    for answer in ("my drinking", "drinking", "to enjoy it safely", "most nights"):
        client.say(answer)
    client.say("/menu")
    client.tap("Thinking about change")
    client.tap("Make it safer")
    client.say("water between drinks")
    assert "how important is this change to you right now?" in client.text
    assert "Would it be OK if I shared it?" not in client.text


@pytest.mark.parametrize(
    ("topic", "shown", "hidden"),
    [
        (
            "coke every weekend",
            "Stimulants: sleep, water, heart",
            "Stopping alcohol or benzos safely",
        ),
        ("the pokies, mostly", "Gambling or gaming: limits, breaks", "Opioids and naloxone"),
        (
            "i drink most nights",
            "Stopping alcohol or benzos safely",
            "Stimulants: sleep, water, heart",
        ),
        ("something ive been doing", "Opioids and naloxone", None),  # not known: every topic
    ],
)
def test_the_information_offered_fits_the_clients_substance(
    conversation: Conversation, topic: str, shown: str, hidden: str | None
) -> None:
    client = TestClient(conversation)
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("No, thank you")
    client.say(topic)
    client.say("/menu")
    client.tap("Safer-use information")
    assert shown in client.buttons and "Not now" in client.buttons
    assert hidden is None or hidden not in client.buttons
