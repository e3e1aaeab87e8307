"""What lies under an answer (themes.yaml), read from the words clients actually type."""

from __future__ import annotations

import pytest

from dialogs.understanding.themes import Theme, themes
from dialogs.understanding.wording import said, shape


@pytest.mark.parametrize(
    ("answer", "theme"),
    [
        ("it helps me switch off after work", Theme("relief", "unwind")),
        ("switches my brain off", Theme("relief", "unwind")),
        ("its the only time i dont think about her", Theme("relief", "escape")),
        ("stops me thinking about work", Theme("relief", "escape")),
        ("takes the edge off the panic tbh", Theme("relief", "anxiety")),
        ("stops me being sick", Theme("relief", "sickness")),
        ("i smoke weed every nite", Theme("routine", "evenings")),
        ("cocaine at weekends", Theme("routine", "weekends")),
        ("my gf made me do this", Theme("pressure", "your girlfriend")),
        ("everyone is on at me about the xbox", Theme("pressure", "the people around you")),
        ("idk my mum keeps going on about it", Theme("pressure", "your family")),
        ("to not die from a bad batch", Theme("safety")),
        ("to feel more in control of my evenings", Theme("control")),
        ("my drinking has crept up", Theme("amount")),
        ("i like it but i hate the losses", Theme("both")),
        ("its been a long week and i havent spoken to anyone", Theme("lonely")),
        ("a walk after dinner instead of a drink", Theme("instead")),
        ("move the app off my home screen", Theme("distance")),
        ("chasing is exactly my problem", Theme("recognition")),
        ("a work party", Theme("occasion")),
    ],
)
def test_an_answer_carries_its_theme(answer: str, theme: Theme) -> None:
    assert theme in themes(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "idk",
        "k",
        "weed",
        "the money",
        "whatever",
        "not sure tbh",
        "every",
        "i dont think about it much",
    ],
)
def test_a_short_or_empty_answer_carries_no_routine_or_relief(answer: str) -> None:
    assert not {t.kind for t in themes(answer)} & {"routine", "relief", "pressure"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("I sleep badly", "clause"),
        ("my sister called back", "clause"),
        ("to spend less", "to"),
        ("if a friend got hurt", "if"),
        ("the money", "phrase"),
        ("every night in bed", "phrase"),
        ("someone to talk to", "phrase"),
        ("my friends, and climbing", "phrase"),
    ],
)
def test_a_paraphrase_knows_its_shape(answer: str, expected: str) -> None:
    gist = said({"k": answer})["k"]
    assert gist is not None and gist.shape == expected == shape(gist)


@pytest.mark.parametrize(
    "reply",
    [
        "dunno. 4? the lads wont make it easy",
        "its hard when everyone is doing it",
        "if the lads did it too lol. never gonna happen",
    ],
)
def test_something_in_the_way_is_an_obstacle(reply: str) -> None:
    assert "obstacle" in [theme.kind for theme in themes(reply)]


@pytest.mark.parametrize("reply", ["if my missus was on board", "having a plan for fridays"])
def test_a_help_is_not_an_obstacle(reply: str) -> None:
    assert "obstacle" not in [theme.kind for theme in themes(reply)]
