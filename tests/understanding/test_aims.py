"""Answers to "what are you hoping for?": a wish is reflected as a wish, a picture of how much
they use is reflected as where things are now, and an aim the bot could not say in its own
voice without sounding like an order is quoted in theirs."""

from __future__ import annotations

import pytest

from dialogs.understanding.pattern import describes_use
from dialogs.understanding.wording import own, said
from prompts import flagged_phrases


def _hope(text: str) -> tuple[str | None, str | None]:
    gist = said({"hopes": text})["hopes"]
    return (str(gist), gist.shape) if gist is not None else (None, None)


@pytest.mark.parametrize(
    "text",
    [
        "like 8-10 pints fri and sat and then a few cans most weeknights",
        "3-4 beers",
        "2g",
        "about a gram a day",
        "couple hours gaming most nights",
        "£50 a week on scratchcards",
        "prob 6 cans most nites",
        "a couple of bags a day, sometimes more",
    ],
)
def test_how_much_is_a_picture_of_now(text: str) -> None:
    assert describes_use(text)


@pytest.mark.parametrize(
    "text",
    [
        "i want to cut down to 2 pints a night",
        "to spend less than 20 quid a week",
        "to drink 2 nights a week instead of 5",
        "idk",
        "honestly i just wanna stop blowing my wages",
        "a few times a week",  # could be the aim itself: not taken for a picture
        "to not be hungover every sunday",
    ],
)
def test_a_wish_with_numbers_in_it_is_still_a_wish(text: str) -> None:
    assert not describes_use(text)


@pytest.mark.parametrize(
    ("text", "gist", "shape"),
    [
        ("drink less", "drink less", "bare"),  # not "you drink less": it is what they want
        ("just not feel like shit every sunday", "just not feel rough every Sunday", "bare"),
        ("be there for my kids", "be there for your kids", "bare"),
        (
            "to feel more in control and sleep better",
            "to feel more in control and sleep better",
            "to",
        ),
        ("stop drinking on weeknights", "“stop drinking on weeknights”", "quote"),
        ("cut back on the weekends", "“cut back on the weekends”", "quote"),
        ("i dont want to stop. just less", "you don't want to stop, just less", "clause"),
        (  # what they want comes first; "stop stop" is stopping altogether
            "i mean i dont wanna stop stop. just not be a mess every sunday and maybe save money",
            "just not be a mess every Sunday and maybe save money",
            "bare",
        ),
        ("idk", None, None),
    ],
)
def test_a_hope_reads_as_a_hope(text: str, gist: str | None, shape: str | None) -> None:
    assert _hope(text) == (gist, shape)


def test_only_the_quoted_words_could_sound_like_an_order() -> None:
    gist, _ = _hope("i want to stop using, for real this time")
    assert gist is not None and gist.startswith("“") and gist.endswith("”")
    assert flagged_phrases(f"So, in your words: {gist}.") == []
    assert flagged_phrases(gist.strip("“”"))  # the words themselves are an order in our voice


@pytest.mark.parametrize(
    ("reply", "hope", "also"),
    [
        (
            "idk tbh. not to be wrecked every monday i guess. my job is on the line",
            "not to be wrecked every Monday",
            "your job is on the line",
        ),
        ("to cut down and my gf would be happy", "to cut down", "your girlfriend would be happy"),
        (
            "less coke and my bank account would thank me",
            "less coke",
            "your bank account would thank you",
        ),
    ],
)
def test_a_hope_and_what_rides_on_it_are_heard_apart(reply: str, hope: str, also: str) -> None:
    gist = said({"hopes": reply})["hopes"]
    assert gist == hope and gist is not None and gist.also == also


def test_a_hope_of_two_wishes_stays_one() -> None:
    gist = said({"hopes": "to drink less and sleep better"})["hopes"]
    assert gist == "to drink less and sleep better" and gist is not None and gist.also is None


@pytest.mark.parametrize(
    ("reply", "quoted"),
    [
        (
            "not mixing it with so much booze maybe. and no sundays",
            "not mixing it with so much booze, no Sundays",
        ),
        ("cut down to like 3 nights a week tbh", "cut down to like 3 nights a week"),
        ("idk", "idk"),  # nothing to tidy: their word stands
    ],
)
def test_a_goal_is_quoted_in_their_words_without_fillers(reply: str, quoted: str) -> None:
    assert own({"change": reply})["change"] == quoted
