"""One-liners real clients type, each with what it must be understood as. `expects` is the kind
of question the bot had just asked: "text" (open), "choice" (buttons) or "scale" (a 0-10 ruler)."""

from __future__ import annotations

import pytest

from dialogs.understanding import Intent, Polarity, Talk, Topic, understand

A, NON, STOP, Q = Intent.ANSWER, Intent.NON_ANSWER, Intent.STOP, Intent.QUESTION
TOLD, FIX, TALK, FRUS, FEEL = (
    Intent.ALREADY_TOLD,
    Intent.CORRECTION,
    Intent.TALK,
    Intent.FRUSTRATION,
    Intent.FEELING,
)


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        # Words that could mislead: a goal with "stop" in it is still an answer.
        ("i want to stop drinking on weeknights", A),
        ("i dont know if i can cut down", A),
        ("im not the one with the problem tbh", A),
        ("stop buying it on the way home", A),
        # Non-answers are not content.
        ("k", NON),
        ("idk", NON),
        ("dunno", NON),
        ("whatever", NON),
        ("nothing", NON),
        ("idk lol", NON),
        ("🤷", NON),
        # The person steers.
        ("nothing. can we stop now", STOP),
        ("i said can we stop", STOP),
        ("bye", STOP),
        ("enough for today", STOP),
        ("is there anything that helps with the sleep thing??", Q),
        ("where do u even get narcan", Q),
        ("dunno. is there like a phone line u can call when ur using alone", Q),
        ("i told u. safer", TOLD),
        ("i already said my dog. u asked this", TOLD),
        ("no i meant weed", FIX),
        ("thats not what i said", FIX),
        ("i just want to talk to someone tbh", TALK),
        ("feel like such a piece of shit honestly", FEEL),
        ("you're just a bot", FRUS),
        ("stop asking me questions", FRUS),
        ("are you even reading this", FRUS),
    ],
)
def test_what_it_is_doing(said: str, intent: Intent) -> None:
    assert understand(said, expects="text").intent == intent


@pytest.mark.parametrize(
    ("said", "polarity"),
    [
        ("yep", Polarity.YES),
        ("ya", Polarity.YES),
        ("sure", Polarity.YES),
        ("ok", Polarity.YES),
        ("go on then", Polarity.YES),
        ("yes but only on weekdays", Polarity.YES),
        ("nah", Polarity.NO),
        ("no lol", Polarity.NO),
        ("what? no", Polarity.NO),
        ("not rly", Polarity.NO),
        ("kinda", Polarity.UNSURE),
        ("perhaps", Polarity.UNSURE),
        ("idk", Polarity.UNSURE),
        ("maybe", Polarity.UNSURE),
        ("not sure", Polarity.UNSURE),
        ("not the using. just safer", Polarity.SAFER),
        ("safer", Polarity.SAFER),
        ("want to be safer", Polarity.SAFER),
    ],
)
def test_typed_at_buttons(said: str, polarity: Polarity) -> None:
    understood = understand(said, expects="choice")
    assert (understood.intent, understood.polarity) == (A, polarity)


def test_a_feeling_typed_at_buttons_is_a_feeling() -> None:
    understood = understand("feel like such a piece of shit honestly", expects="choice")
    assert (understood.intent, understood.polarity) == (FEEL, None)


def test_already_told_at_buttons_keeps_what_it_carries() -> None:
    understood = understand("i told u. safer", expects="choice")
    assert (understood.intent, understood.polarity) == (TOLD, Polarity.SAFER)


def test_stop_at_buttons_is_a_stop() -> None:
    assert understand("nothing. can we stop now", expects="choice").intent == STOP


def test_a_non_answer_at_an_open_question_says_which_kind() -> None:
    understood = understand("no lol", expects="text")
    assert (understood.intent, understood.polarity) == (NON, Polarity.NO)


@pytest.mark.parametrize(
    ("said", "score"),
    [
        ("like a 4", 4),
        ("four", 4),
        ("4/10", 4),
        ("prob 7", 7),
        ("zero", 0),
        ("ten", 10),
        ("5 or 6", 5),  # a range reads as its lower end
        ("not at all", 0),
        ("100%", 10),
        ("nothing its a 9 fine", 9),
    ],
)
def test_typed_at_a_ruler(said: str, score: int) -> None:
    understood = understand(said, expects="scale")
    assert (understood.intent, understood.score) == (A, score)


def test_no_number_at_a_ruler() -> None:
    understood = understand("idk", expects="scale")
    assert (understood.intent, understood.score) == (NON, None)


def test_a_corrected_score_stays_a_correction() -> None:
    understood = understand("sorry i meant 6 not 3", expects="scale")
    assert (understood.intent, understood.score) == (FIX, 6)


@pytest.mark.parametrize(
    ("said", "topic"),
    [
        ("where do u even get narcan", Topic.NALOXONE),
        ("is there like a phone line u can call when ur using alone", Topic.USING_ALONE),
        ("what do i do if my mate ODs", Topic.OVERDOSE_RESPONSE),
        ("is it dangerous to mix xanax and beer", Topic.MIXING),
        ("how do i come off diazepam safely", Topic.BENZO_WITHDRAWAL),
        ("will they see this", Topic.PRIVACY),
        ("are you a real person", Topic.THE_BOT),
    ],
)
def test_questions_we_can_answer(said: str, topic: Topic) -> None:
    understood = understand(said, expects="text")
    assert (understood.intent, understood.topic) == (Q, topic)


def test_a_question_that_names_nothing_is_about_what_they_came_about() -> None:
    # Said by someone who came about weed: "it" is the weed, and sleep after stopping it is
    # cannabis withdrawal, not an overdose.
    asked = "what does it even do to ur sleep if u stop"
    assert understand(asked, subject="weed").topic == Topic.CANNABIS_WITHDRAWAL
    assert understand("what do i do if he stops breathing", subject="weed").topic == (
        Topic.OVERDOSE_RESPONSE
    )


def test_a_question_we_cannot_answer_has_no_topic() -> None:
    understood = understand("whats the weather like tomorrow", expects="text")
    assert (understood.intent, understood.topic) == (Q, None)


def test_a_topic_only_for_a_question() -> None:
    assert understand("i got narcan from the needle exchange", expects="text").topic is None


@pytest.mark.parametrize(
    ("said", "talk"),
    [
        ("i really want to cut down before the baby comes", Talk.CHANGE),
        ("didnt have a drink last night, first time in ages", Talk.CHANGE),
        ("its not a problem, everyone i know drinks like this", Talk.SUSTAIN),
        ("mostly on saturdays", Talk.NEUTRAL),
    ],
)
def test_kind_of_talk(said: str, talk: Talk) -> None:
    assert understand(said, expects="text").talk == talk


def test_a_non_answer_is_never_change_talk() -> None:
    assert understand("no lol", expects="choice").talk == Talk.NEUTRAL


def test_every_step_joins_in_one_reading() -> None:
    understood = understand("mostly the cans tbh. helps me sleep but im skint", expects="text")
    assert understood.subject is not None and understood.subject.word == "drinking"
    assert understood.areas == ("sleep", "money")
    assert understood.phrase is not None and "you're skint" in understood.phrase
