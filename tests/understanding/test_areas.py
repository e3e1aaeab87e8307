"""What a reply touches in the client's life, read from the words people really use."""

from __future__ import annotations

import pytest

from dialogs.understanding.areas import life_areas


@pytest.mark.parametrize(
    ("said", "areas"),
    [
        (
            "the mornings. and my gf says i get kind of checked out in the evenings. "
            "also money i guess",
            ("sleep", "money", "family", "mood"),
        ),
        ("skint again after the weekend", ("money",)),
        ("the missus is fuming", ("family",)),
        ("court next week and probation after", ("law",)),
        ("hangxiety every sunday", ("mood",)),
        ("cant sleep", ("sleep",)),
        ("feel crap in the mornings at work", ("sleep", "work", "mood")),
        ("the comedowns are brutal. anxiety for days. spent like 300 a weekend", ("money", "mood")),
        ("i miss my mates back home, i dont know anyone here", ("friends",)),
        ("getting shaky in the mornings", ("sleep", "health")),
        ("theres been a lot of bad batches round here lately, fent in everything", ("safety",)),
        ("probaton said so", ("law",)),
        ("failing my exams at uni", ("work",)),
    ],
)
def test_life_areas_from_slang_and_typos(said: str, areas: tuple[str, ...]) -> None:
    assert life_areas(said) == areas


def test_a_keyword_in_another_sense_does_not_count() -> None:
    assert life_areas("i want to cut down a bit") == ()
    assert life_areas("") == ()


def test_order_is_stable() -> None:
    assert life_areas("court, money and sleep") == ("sleep", "money", "law")
