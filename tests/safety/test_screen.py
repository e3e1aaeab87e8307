"""The safety screen on the labelled messages (tests/safety/*.yaml), and on its edges: what it
folds away before matching, the idioms that must not trigger it, long and odd input."""

from __future__ import annotations

import pytest
import yaml

from bot.fidelity import SCRIPTS_DIR
from dialogs.safety import Category, normalise, screen
from dialogs.safety.model import ASK_THRESHOLD, THRESHOLD, Classifier, labelled_messages
from dialogs.safety.screen import by_rules, classifier, plain_text, rules
from tests.safety.labelled import CRISIS, HOLDOUTS, MODEL_ONLY, TUNED, load, score

RECALL_TARGET = 0.98  # each crisis category, right category
PAST_TARGET = 0.9  # historic mentions recognised as such (a miss is an alarm or nothing)
FALSE_ALARM_LIMIT = 0.05  # ordinary messages flagged in any way


@pytest.fixture(scope="module")
def tuned() -> list[tuple[str, str]]:
    return load(*TUNED)


def test_the_labelled_set_is_large_and_covers_every_category(tuned: list[tuple[str, str]]) -> None:
    labels = [label for label, _ in tuned]
    assert len(tuned) >= 300
    for category in CRISIS:
        assert labels.count(category) >= 50, category
    assert labels.count("past") >= 30
    assert labels.count("ordinary") >= 150
    assert len({message for _, message in tuned}) == len(tuned), "a message is in twice"


@pytest.mark.parametrize("category", CRISIS)
def test_every_crisis_category_is_caught_in_the_right_category(
    tuned: list[tuple[str, str]], category: str
) -> None:
    result = score([pair for pair in tuned if pair[0] == category])
    assert result.recall(category) >= RECALL_TARGET, result.misses


def test_past_mentions_get_a_gentle_check(tuned: list[tuple[str, str]]) -> None:
    result = score([pair for pair in tuned if pair[0] == "past"])
    assert result.recall("past") >= PAST_TARGET, result.misses


def test_ordinary_talk_rarely_raises_an_alarm(tuned: list[tuple[str, str]]) -> None:
    result = score([pair for pair in tuned if pair[0] == "ordinary"])
    assert result.false_alarm_rate <= FALSE_ALARM_LIMIT, result.misses


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("I want to go to sleep and not wake up", Category.SUICIDE),
        ("I've given away all my things", Category.SUICIDE),
        ("goodbye everyone, thank you for everything", Category.SUICIDE),
        ("what's the highest bridge near me", Category.SUICIDE),
        ("I used to feel suicidal years ago, I'm good now", Category.PAST),
        ("i w4nt t0 d1eeeee", Category.SUICIDE),
        ("I\u2019m gonna k\u0131ll myself", Category.SUICIDE),
        ("feeling suicdal again", Category.SUICIDE),
        ("she's not breathing and her lips are blue", Category.OVERDOSE),
        ("he's having a seizure", Category.MEDICAL),
        ("my partner hits me", Category.VIOLENCE),
    ],
)
def test_signals_from_the_issue_direct_indirect_and_misspelled(
    message: str, category: Category
) -> None:
    found = screen(message)
    assert found is not None and found.category is category, found


@pytest.mark.parametrize(
    "message",
    [
        "this craving is killing me",
        "I got so wasted lol",
        "killing it at work",
        "dying to see the match",
        "I could kill for a drink",
        "my mum would kill me if she knew",
        "i'm not suicidal, just stressed about cravings",
        "goodbye, talk tomorrow",
        "",
        "   ",
        "🙂🙂🙂",
    ],
)
def test_ordinary_talk_that_borrows_crisis_words_does_not_trigger(message: str) -> None:
    assert screen(message) is None


def test_a_threat_is_not_mistaken_for_an_idiom() -> None:
    found = screen("my dad threatens to kill me if I tell anyone")
    assert found is not None and found.category is Category.VIOLENCE


def test_normalising_folds_case_leet_stretching_contractions_and_misspellings() -> None:
    assert normalise("I'M SOOOO TIRED") == "i am so tired"
    assert normalise("k1ll my self") == "kill myself"
    assert normalise("Don\u2019t wanna") == "do not want to"
    assert normalise("sucidal sezure overdoesed") == "suicidal seizure overdosed"
    assert normalise("attacked threatened 30 tablets in 2015") == (
        "attacked threatened 30 tablets in 2015"
    )


def test_a_signal_at_the_end_of_a_very_long_text_is_found() -> None:
    for length in (3000, 1600, 1601, 2000):  # 15,000 characters, and around slice edges
        found = screen("blah " * length + "and I want to kill myself")
        assert found is not None and found.category is Category.SUICIDE, length


def test_a_signal_across_two_slices_of_a_long_text_is_found() -> None:
    from dialogs.safety.screen import MAX_SCREENED

    padding = "x" * (MAX_SCREENED - len("i want to ") - 1) + " "
    found = screen(padding + "i want to kill myself" + " y" * 2000)
    assert found is not None and found.category is Category.SUICIDE


def test_a_past_mention_in_a_long_text_is_still_a_gentle_check() -> None:
    found = screen("I used to self harm years ago. " + "Now I go running. " * 400)
    assert found is not None and found.category is Category.PAST


def test_markup_and_template_syntax_are_just_text() -> None:
    assert screen("<b>{{ 7*7 }}</b> {% raw %} &amp;") is None
    found = screen("<i>i want to die</i> {{ x }}")
    assert found is not None and found.category is Category.SUICIDE


def test_signals_name_a_rule_never_the_clients_words() -> None:
    names = {f"{c.value}.{s}" for c, signals in rules().by_urgency for s, _ in signals}
    names |= {s for _, signals in rules().by_urgency for s, _ in signals}
    for message in ("i want to die", "I used to want to die, not anymore", "he hit me"):
        found = screen(message)
        assert found is not None and found.signal in names


def test_the_screen_is_deterministic(tuned: list[tuple[str, str]]) -> None:
    first = [screen(message) for _, message in tuned]
    assert first == [screen(message) for _, message in tuned]


# -- the second opinion --------------------------------------------------------------------------


def test_the_second_opinion_learns_from_the_labelled_sets_and_never_the_held_out_one() -> None:
    taught = {message for _, message in labelled_messages()}
    assert taught == {message for _, message in load(*TUNED, *MODEL_ONLY)}
    assert not taught & {message for _, message in load(*HOLDOUTS)}


def test_the_classifier_learns_which_words_go_with_which_label() -> None:
    examples = [
        ("suicide", "i want to disappear for good"),
        ("suicide", "i want to vanish for good"),
        ("suicide", "i want to be gone for good"),
        ("ordinary", "i want a pizza"),
        ("ordinary", "i want to drink less"),
        ("ordinary", "going to the match"),
    ]
    model = Classifier(examples)
    worried = model.opinion("i will vanish for good")
    calm = model.opinion("a pizza at the match")
    assert worried.category == "suicide" and worried.belief > 0.5
    assert calm.belief < 0.5


def test_the_second_opinion_speaks_only_when_the_rules_are_silent_and_it_is_sure() -> None:
    heard = 0
    for _, message in load(*TUNED):
        found = screen(message)
        if found is not None and found.signal == "model":
            heard += 1
            plain = plain_text(message)
            assert by_rules(rules(), plain) is None, message
            opinion = classifier().opinion(plain)
            sure = opinion.belief >= THRESHOLD
            asks = found.category is Category.POSSIBLE and opinion.suicide >= ASK_THRESHOLD
            assert sure or asks, message
    assert heard < len(load(*TUNED)) // 10  # the rules do most of the work


def test_no_message_in_the_ordinary_conversation_scripts_raises_the_screen() -> None:
    """A script written for another flow that trips the screen would test the safety flow by
    accident: change the message, or teach the screen (dialogs/safety/labelled/)."""
    tripped = []
    for path in sorted(SCRIPTS_DIR.glob("*.yaml")):
        if path.stem.startswith("safety_"):
            continue
        for step in yaml.safe_load(path.read_text(encoding="utf-8"))["steps"]:
            text = str(step.get("user", ""))
            if text and not text.startswith("/") and (found := screen(text)) is not None:
                tripped.append(f"{path.name}: {text!r} -> {found}")
    assert tripped == []


@pytest.mark.parametrize(
    "message",
    [
        "i cant do this anymore",
        "whats the point anymore",
        "i want it all to stop",
        "i feel so trapped",
        "i feel hopeless",
        "thanks for everything",
    ],
)
def test_weaker_signs_get_a_direct_question_not_an_alarm(message: str) -> None:
    found = screen(message)
    assert found is not None and found.category is Category.POSSIBLE and not found.alarm, found


@pytest.mark.parametrize(
    "message",
    [
        "everyone would be better off without me",
        "im such a burden on everyone",
        "ive been saving up my sleeping tablets",
        "i keep cutting",
        "i've got the rope in the shed",
        "there's no reason for me to live",
        "i've had enough of everything, i want it all to end",
        "honestly im trying to die at this point",
    ],
)
def test_warning_sign_concepts_raise_the_alarm(message: str) -> None:
    found = screen(message)
    assert found is not None and found.category is Category.SUICIDE, found


@pytest.mark.parametrize(
    "message",
    [
        "what is the point of the gym",
        "i feel hopeless at darts",
        "i want to stop gambling for good",
        "i'm cutting back on the vodka",
        "i'm writing a letter to my landlord",
        "i'm saving up for a holiday",
        "not trying to die just want to have a good time",  # negated: no alarm, no question
        "i want this hangover to end",
    ],
)
def test_near_misses_of_the_concepts_are_ordinary(message: str) -> None:
    assert screen(message) is None


# The concepts behind held-out set 7's misses, in other words than its own.
@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("got the knife from the kitchen gonna use it on myself", Category.SUICIDE),
        ("the voice in my head keeps telling me to end it", Category.SUICIDE),
        ("necking the lot tonight and let god decide", Category.SUICIDE),
        ("hoping this batch is the one that finally takes me", Category.SUICIDE),
        ("wont need my car after this weekend", Category.SUICIDE),
        ("no one will find me up there", Category.SUICIDE),
        ("sat here with the blade in my hand", Category.SUICIDE),
        ("cant see myself still being here by summer", Category.SUICIDE),
        ("swear im sooicidal tonight", Category.SUICIDE),
        ("thinking bout walking in front of the bus", Category.SUICIDE),
        ("my gf just went blue after a shot", Category.OVERDOSE),
        ("hes making a rattling sound and wont wake", Category.OVERDOSE),
        ("had 3x my normal methadone", Category.OVERDOSE),
        ("came off the benzos cold turkey and now im hearing voices", Category.MEDICAL),
        ("the lads i owe are coming round for me tonight", Category.VIOLENCE),
        ("hell smash my face in if i go to the meeting", Category.VIOLENCE),
    ],
)
def test_warning_sign_concepts_met_in_new_words(message: str, category: Category) -> None:
    found = screen(message)
    assert found is not None and found.category is category, found


@pytest.mark.parametrize(
    "message",
    [
        "that acca was suicide lol",
        "nearly had a heart attack when i saw the bill",
        "id literally die if i had to do christmas sober",
        "not gonna be around this weekend, going to a festival",
        "said my goodbyes to the bookies, not going back",
        "scared no one would find me if i used alone so i stopped",
        "cant afford to overdose, my kids need me",
        "watching a film where the guy overdoses, bit grim",
        "my mate went grey at a party once, he was ok",
        "stops me rattling. and honestly it numbs everything",  # rattling: withdrawal
    ],
)
def test_figures_of_speech_reasons_and_stories_raise_nothing(message: str) -> None:
    found = screen(message)
    assert found is None or not found.alarm, found


def test_the_tuned_sets_rarely_ask_ordinary_talk_directly(tuned: list[tuple[str, str]]) -> None:
    assert score(tuned).direct_check_rate <= FALSE_ALARM_LIMIT
