"""Reflections that read as a person's: the client's meaning in the bot's voice, short,
grammatical, never textspeak, never a non-answer quoted back, never a guard-flagged phrase."""

from __future__ import annotations

import pytest

from dialogs.understanding.reflect import MAX_WORDS, is_non_answer, paraphrase
from prompts import flagged_phrases


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        ("i feel groggy at work", "you feel groggy at work"),
        ("my gf would be happy", "your girlfriend would be happy"),
        ("im knackered", "you're knackered"),
        ("like 6 cans most nites", "6 cans most nights"),
        ("chills me out i guess. helps me sleep", "it chills you out and it helps you sleep"),
        ("idk my mate said to try this. i smoke way too much weed tbh", None),
        ("i was up till 4am", "you were up till 4am"),
        (
            "nothing. i just bet on the footy like everyone else",
            "you just bet on the footy like everyone else",
        ),
        (
            "lost 400 last month but whatever i won it back mostly",
            "you lost 400 last month but you won it back mostly",
        ),
        ("its fun?? obviously", "it's fun"),
        ("nothing really its fine", "it's fine"),
        ("i failed my driving test", "you didn't pass your driving test"),  # not "struggled your"
        (  # the feeling after the facts is kept, a little over the usual length
            "he lent me 200 and i blew it on pills. feel awful about it",
            "he lent you 200 and you blew it on pills, and you feel awful about it",
        ),  # a statement with a question mark
        (
            "my gf made me download this. i dont think i have a problem",
            "your girlfriend made you download this and you don't think you have a problem",
        ),
        ("helps me switch off from work tbh. job is stressful", None),
        ("feel proud honestly", "you feel proud"),
        ("bc i dont want to break up i guess", "you don't want to break up"),
        ("i did dry january last yr and managed like 3 weeks", None),
        ("it switches my head off. stops the pictures", None),
        (
            "my probation officer said i have to use this",
            "your probation officer wants you to use this",
        ),
        (
            "if i was actually failing at work or something",
            "if you were actually struggling at work",
        ),
        ("i quit for 2 weeks once", "you stopped for 2 weeks once"),
    ],
)
def test_pronouns_and_verbs_shift_to_the_bots_side(said: str, reflected: str | None) -> None:
    got = paraphrase(said)
    assert got is not None
    if reflected is not None:
        assert got == reflected


def test_their_own_words_come_before_what_someone_else_said() -> None:
    reflected = paraphrase("idk my mate said to try this. i smoke way too much weed tbh")
    assert reflected is not None and reflected.startswith("you smoke way too much weed")


def test_the_meaning_is_kept_and_the_fillers_go() -> None:
    assert paraphrase("helps me switch off from work tbh. job is stressful") == (
        "it helps you switch off from work and job is stressful"
    )
    assert paraphrase("i did dry january last yr and managed like 3 weeks") == (
        "you did Dry January last year and managed 3 weeks"
    )
    assert paraphrase("it switches my head off. stops the pictures") == (
        "it switches your head off and it stops the pictures"
    )
    assert paraphrase("idk. my mum wants me to stop. its expensive i guess") == (
        "your mum wants you to stop and it's expensive"
    )


@pytest.mark.parametrize(
    "said",
    [
        "idk",
        "k",
        "whatever",
        "nothing",
        "dunno",
        "no lol",
        "what?? no lol",
        "nothing. can we stop now",
        "yes obviously lol",
        "no not really",
        "u already asked me this",
        "stop asking me questions",
    ],
)
def test_non_answers_are_never_quoted_back(said: str) -> None:
    assert paraphrase(said) is None


def test_non_answers_are_recognised() -> None:
    assert is_non_answer("idk lol") and is_non_answer("K") and is_non_answer("nothing really")
    assert not is_non_answer("the mornings")


def test_a_question_is_not_reflected_as_content() -> None:
    assert paraphrase("is there anything that helps with the sleep thing??") is None
    assert paraphrase("i dont have narcan. where do u even get it") == "you don't have narcan"


LONG_REPLIES = [
    "i think im drinking too much during the week. like most nights after work its 3-4 beers "
    "maybe more. want to cut down a bit",
    "get home around 6, open a beer while cooking, then another with dinner, then a couple "
    "watching tv. weekends its actually less weirdly",
    "sorry i pressed the wrong button before. im not in danger. im just lonely. i moved here "
    "for work 4 months ago and i dont know anyone",
    "ive been drinking a lot more since my best mate died last year. he overdosed. i was the "
    "one who found him",
    "honestly my girlfriend told me to try this. she thinks i game too much",
]


@pytest.mark.parametrize("said", LONG_REPLIES)
def test_long_replies_become_a_short_phrase_cut_at_a_boundary(said: str) -> None:
    got = paraphrase(said)
    assert got is not None
    words = got.split()
    assert len(words) <= MAX_WORDS + 4  # a feeling said after the facts may run 4 over
    assert all(w in said.replace("im", "you're") or w.isalpha() or "'" in w for w in words)
    assert got[-1].isalnum(), "no trailing punctuation"
    assert words[-1] not in {"and", "the", "to", "a", "of", "your", "but"}


@pytest.mark.parametrize(
    "said",
    [
        "wanna be less tired at work. and gf",
        "u dont get it, ur not listening",
        "cant sleep bc of it tbh",
        "no beer mon tue wed. thurs fri fine",
        "i wont drink b4 work tmrw",
    ],
)
def test_the_bot_never_writes_textspeak(said: str) -> None:
    got = paraphrase(said) or ""
    for texting in (" u ", " ur ", " gf ", " bc ", "dont", "cant", "wont", "wanna", " b4 ", "tmrw"):
        assert texting not in f" {got} "


@pytest.mark.parametrize(
    "said",
    [
        "i need to quit",
        "i have to stop drinking",
        "i should cut down",
        "i want to quit weed completely",
        "been clean 2 weeks",
        "i relapsed on saturday",
        "im an addict",
        "i feel like a failure",
        "i fucked it. feel like such a piece of shit honestly",
    ],
)
def test_the_paraphrase_never_says_what_the_guard_forbids(said: str) -> None:
    got = paraphrase(said)
    assert got is None or flagged_phrases(got) == []
    assert got is None or ("fuck" not in got and "shit" not in got)


def test_hard_ones_read_well() -> None:
    assert (
        paraphrase("i want to quit weed completely") == "you want to be done with weed completely"
    )
    assert paraphrase("i fucked it. did a load on saturday. feel like such a piece of shit") == (
        "you messed up, you did a load on Saturday and you feel awful"
    )
    assert paraphrase("me. im weak. my gf is so disappointed") == (
        "you're weak and your girlfriend is so disappointed"
    )
