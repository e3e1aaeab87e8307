"""The safety flow on the engine, on SQLite and PostgreSQL: a hit from any state moves the client
into it and back again afterwards; every safety template renders for every category and
country, guarded; the directory of numbers is complete."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session, select

from dialogs import Conversation, FlowSet
from dialogs.messages import PART_SEPARATOR
from dialogs.safety.flow import HARD, OPENINGS, QUIET_AFTER_NO, RESOURCES, values
from dialogs.safety.resources import country_from_locale, directory, find_country
from prompts import MI_CODES, TELEGRAM_MESSAGE_LIMIT, Renderer, flagged_phrases
from storage import Database
from storage.models import Client, DialogState, SafetyEvent
from tests.harness import TestClient

HITS = {
    "suicide": "i dont want to be alive anymore",
    "overdose": "my friend took too many pills and wont wake up",
    "medical": "crushing pain in my chest",
    "violence": "my husband is hurting me",
}
PAST = "I used to self harm as a teenager"


def place(client: TestClient) -> str:
    db = client.conversation.db
    with Session(db.engine) as session:
        row = session.exec(select(DialogState)).one()
    return f"{row.flow}.{row.state}"


def to_state(client: TestClient, where: str) -> None:
    """Walk a new client to a place in the conversation."""
    if where == "welcome.consent":
        client.say("/start")
        return
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("No, thank you")
    if where == "menu.choose":
        client.say("/menu")
    elif where == "relationship.good":
        client.say("weed")
        client.say("weed")
        client.say("to feel calmer")
        client.say("/menu")
        client.tap("My relationship with it")
        client.say("most evenings")


@pytest.mark.parametrize(
    ("category", "where"),
    list(
        itertools.product(
            [*HITS, "past"],
            ["welcome.consent", "agenda.topic", "menu.choose", "relationship.good"],
        )
    ),
)
def test_a_hit_in_any_state_moves_into_safety_and_back_to_the_same_question(
    db: Database, flows: FlowSet, renderer: Renderer, category: str, where: str
) -> None:
    client = TestClient(Conversation(db, flows, renderer))
    to_state(client, where)
    assert place(client) == where
    question = client.last[-1].text.split(PART_SEPARATOR)[-1]  # its last part: the question

    client.say(HITS.get(category, PAST))
    if category == "past":
        assert place(client) == "safety.past_check"
        client.say("fine these days")
    else:
        assert place(client) == "safety.check"
        assert "Emergency:" in client.text
        client.tap("Yes, I'm safe right now")
        client.say("okay")
    client.tap("Carry on where we left off")
    if (category, tuple(where.split("."))) in {("past", hard) for hard in HARD}:
        assert place(client) != where  # the past mention was the answer there, taken up
    else:
        assert place(client) == where
        assert client.last[-1].text.endswith(question)

    with Session(db.engine) as session:
        (event,) = session.exec(select(SafetyEvent)).all()
    assert (event.category, f"{event.flow}.{event.state}") == (category, where)
    assert (event.transcript_event_id is not None) == (where != "welcome.consent")


def test_a_hit_mid_safety_keeps_the_first_place_to_go_back_to(conversation: Conversation) -> None:
    client = TestClient(conversation)
    to_state(client, "menu.choose")
    client.say(HITS["violence"])
    client.tap("Yes, I'm safe right now")
    client.say(HITS["suicide"])  # again, from inside the safety flow
    assert place(client) == "safety.check"
    client.tap("Yes, I'm safe right now")
    client.say("ok")
    client.tap("Carry on where we left off")
    assert place(client) == "menu.choose"


def test_buttons_from_before_the_hit_are_stale_and_commands_still_work(
    conversation: Conversation,
) -> None:
    client = TestClient(conversation)
    client.say("/start")
    old = client.button_data("Yes, that's OK")
    client.say(HITS["overdose"])
    client.press(old)
    assert client.last_outcome is not None and client.last_outcome.notice
    assert place(client) == "safety.check"
    client.say("/help")
    assert "/sos" in client.text and client.buttons[0] == "No, I'm not safe"
    client.send_media("sticker")
    assert place(client) == "safety.check"


def safety_templates(renderer: Renderer) -> list[str]:
    return [name for name in renderer.names() if name.startswith("safety/")]


def test_every_safety_template_renders_for_every_category_and_country_guarded(
    renderer: Renderer,
) -> None:
    problems = []
    countries = [None, *directory().countries]
    categories = [
        *OPENINGS,
        "past",
        "possible",
    ]  # every template, whichever category it is shown for
    for template, country, category, guessed, unmatched in itertools.product(
        safety_templates(renderer), countries, categories, [False, True], [False, True]
    ):
        context = {
            "safety": {
                "category": category,
                "country": country,
                "guessed": guessed,
                "unmatched": unmatched,
            }
        }
        rendered = renderer.render(
            template,
            words={},
            facts={},
            subject=None,
            heard="you're a bit shaky but okay",
            said={},
            areas={},
            expects="choice",
            safety=values(context),
            code="K7MX2Q",
            category=category,
            at="2026-11-29 01:02",
        )
        where = f"{template} for {category} in {country}"
        assert rendered.mi_code in MI_CODES
        if not rendered.text.strip() or len(rendered.text) > TELEGRAM_MESSAGE_LIMIT:
            problems.append(f"{where}: {len(rendered.text)} characters")
        problems.extend(f"{where}: says {p!r}" for p in flagged_phrases(rendered.text))
    assert problems == []


@pytest.mark.parametrize("category", [*OPENINGS])
def test_the_numbers_show_the_emergency_number_first_and_lines_for_the_category(
    renderer: Renderer, category: str
) -> None:
    for code in [*directory().countries, None]:
        country = directory().place(code)
        context = {"safety": {"category": category, "country": code}}
        text = renderer.render(RESOURCES, safety=values(context)).text
        lines = text.splitlines()
        assert lines[0] == f"<b>Help in {country.name}</b>", code
        assert lines[1].startswith(f"Emergency: <b>{country.emergency}</b>"), code
        assert lines[2].startswith("• ") and "•" not in lines[1], code


def test_the_directory_holds_the_well_known_numbers() -> None:
    countries = directory().countries
    expected = {
        "US": ("911", "988"),
        "GB": ("999", "116 123"),
        "IE": ("112 or 999", "116 123"),
        "CA": ("911", "988"),
        "AU": ("000", "13 11 14"),
        "NZ": ("111", "1737"),
        "DE": ("112", "0800 111 0 111"),
        "FR": ("112", "3114"),
        "NL": ("112", "0800-0113"),
        "ES": ("112", "024"),
        "IT": ("112", "1522"),
        "IN": ("112", "14416"),
    }
    for code, (emergency, line) in expected.items():
        assert countries[code].emergency.startswith(emergency), code
        assert any(line in entry.contact for entry in countries[code].lines), code
    assert "findahelpline.com" in {line.contact for line in directory().international.lines}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("UK", "GB"),
        ("england", "GB"),
        ("The Netherlands", "NL"),
        ("España", "ES"),
        ("I'm in Ireland", "IE"),
        ("usa!", "US"),
        ("Narnia", None),
        ("<b>{{ 7*7 }}</b>", None),
        ("", None),
    ],
)
def test_a_typed_country_is_found_by_name_code_or_alias(typed: str, code: str | None) -> None:
    assert find_country(typed) == code


@pytest.mark.parametrize(
    ("locale", "code"),
    [("en-GB", "GB"), ("en_au", "AU"), ("pt-br", None), ("en", None), (None, None)],
)
def test_the_country_is_guessed_from_a_language_code_with_a_region(
    locale: str | None, code: str | None
) -> None:
    assert country_from_locale(locale) == code


def test_forget_erases_safety_events_too_even_linked_to_the_transcript(
    db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    client = TestClient(Conversation(db, flows, renderer))
    to_state(client, "agenda.topic")
    client.say(HITS["suicide"])
    client.tap("I'm in another country")
    client.say("Canada")
    with Session(db.engine) as session:
        (event,) = session.exec(select(SafetyEvent)).all()
    assert event.transcript_event_id is not None

    client.say("/forget")
    client.tap("Yes, erase everything")
    with Session(db.engine) as session:
        assert session.exec(select(SafetyEvent)).all() == []
        assert [c.country for c in session.exec(select(Client)).all()] == [None]


WEAKER = "i cant do this anymore"


@pytest.mark.parametrize(
    ("where", "then"),
    [
        ("welcome.consent", "welcome.consent"),  # a button question: asked again
        ("agenda.topic", "agenda.subject"),  # a text question: the words are the answer
        ("relationship.good", "relationship.less_good"),
    ],
)
def test_a_weaker_sign_asks_directly_and_no_takes_the_words_as_the_answer(
    db: Database, flows: FlowSet, renderer: Renderer, where: str, then: str
) -> None:
    client = TestClient(Conversation(db, flows, renderer))
    to_state(client, where)
    question = client.last[-1].text.split(PART_SEPARATOR)[-1]

    client.say(WEAKER)
    assert place(client) == "safety.direct_check"
    assert "thoughts of ending your life" in client.text and "Emergency" not in client.text
    client.say("nah, just fed up")
    assert place(client) == then
    assert "Sorry, I got that wrong" in client.text and "/sos" in client.text
    assert client.last[-1].text.endswith(question) == (where == then)  # with the apology

    with Session(db.engine) as session:
        (event,) = session.exec(select(SafetyEvent)).all()
    assert (event.category, f"{event.flow}.{event.state}") == ("possible", where)
    assert (event.transcript_event_id is not None) == (where != "welcome.consent")


@pytest.mark.parametrize(
    ("typed", "signal"),
    [
        ("yes", "direct_check.concern_yes"),
        ("yeah i have been", "direct_check.concern_yes"),
        ("i dont know", "direct_check.concern_unsure"),
        ("no but sometimes", "direct_check.concern_unsure"),
        ("what do you mean", "direct_check.concern_unsure"),
        ("3", "direct_check.concern_unsure"),
    ],
)
def test_a_typed_answer_that_is_not_a_clear_no_gets_the_full_response(
    db: Database, flows: FlowSet, renderer: Renderer, typed: str, signal: str
) -> None:
    client = TestClient(Conversation(db, flows, renderer))
    to_state(client, "agenda.topic")
    client.say(WEAKER)
    client.say(typed)
    assert place(client) == "safety.check"
    assert "Emergency:" in client.text and "Are you safe right now?" in client.text
    with Session(db.engine) as session:
        events = session.exec(select(SafetyEvent).order_by(SafetyEvent.id)).all()  # type: ignore[arg-type]
    assert [(e.category, e.signal) for e in events][1:] == [("suicide", signal)]
    assert events[1].state == "direct_check"


def test_a_weaker_sign_inside_the_safety_flow_asks_nothing_more(
    conversation: Conversation,
) -> None:
    client = TestClient(conversation)
    to_state(client, "menu.choose")
    client.say(HITS["violence"])
    client.tap("No, I'm not safe")
    client.say(WEAKER)  # an answer to "what's happening for you?", not a new sign to ask about
    assert place(client) == "safety.after"
    with Session(conversation.db.engine) as session:
        assert [e.category for e in session.exec(select(SafetyEvent)).all()] == ["violence"]


def test_a_crisis_message_at_the_direct_question_gets_the_full_response_at_once(
    conversation: Conversation,
) -> None:
    client = TestClient(conversation)
    to_state(client, "menu.choose")
    client.say(WEAKER)
    client.say("i want to kill myself")
    assert place(client) == "safety.check" and "Emergency:" in client.text
    client.tap("Yes, I'm safe right now")
    client.say("ok")
    client.tap("Carry on where we left off")
    assert place(client) == "menu.choose"


def test_after_a_no_weaker_signs_are_not_asked_about_again_for_a_while_but_a_hit_still_is(
    conversation: Conversation,
) -> None:
    client = TestClient(conversation)
    to_state(client, "agenda.topic")
    client.say(WEAKER)
    client.tap("No")
    assert place(client) == "agenda.subject"  # what they wrote was their answer
    client.say("whats the point anymore")  # heard as an answer, not asked about again
    assert "thoughts of ending your life" not in client.text
    assert not place(client).startswith("safety.")
    client.say("i want to kill myself")
    assert place(client) == "safety.check" and "Emergency:" in client.text
    with Session(conversation.db.engine) as session:
        categories = [e.category for e in session.exec(select(SafetyEvent)).all()]
    assert categories == ["possible", "suicide"]


def test_the_quiet_after_a_no_ends_and_a_weaker_sign_is_asked_about_again(
    conversation: Conversation,
) -> None:
    client = TestClient(conversation)
    to_state(client, "menu.choose")
    client.say(WEAKER)
    client.say("no")
    for _ in range(QUIET_AFTER_NO):
        client.say("/menu")  # commands carry no words and do not count
        client.say("hmm")
    client.say(WEAKER)
    assert place(client) == "safety.direct_check"
