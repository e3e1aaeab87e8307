"""/progress: a PNG drawn on the server from the client's own rulers and diary, nobody else's."""

from __future__ import annotations

import io
import struct
from datetime import UTC, date, datetime, timedelta

from matplotlib import image

from dialogs import Conversation
from dialogs.progress import chart_data, render_chart
from dialogs.rhythm import ShiftedClock
from prompts import Renderer
from storage import Database
from storage.rhythm import DiaryView, ScoreView
from tests.harness import TestClient

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def consented(conversation: Conversation, who: str) -> TestClient:
    client = TestClient(conversation, who=who)
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("No, thank you")
    return client


def client_with_notes(conversation: Conversation, who: str, use: list[str]) -> TestClient:
    return note_days(consented(conversation, who), use)


def note_days(client: TestClient, use: list[str]) -> TestClient:
    """One diary note a day, a day apart, one for each label in `use`, with an activity."""
    for label in use:
        client.say("/menu")
        client.tap("A quick note about today")
        client.tap(label)
        if label != "None today":
            client.tap("Skip")  # how much, in their own words: not this time
        client.tap("Yes")
        client.say("a swim")
        client.wait("1d")
    return client


def test_the_picture_holds_the_clients_own_notes_only(
    db: Database,
    flows,
    renderer: Renderer,  # type: ignore[no-untyped-def]
) -> None:
    clock = ShiftedClock(base=lambda: START)
    conversation = Conversation(db, flows, renderer, clock=clock)
    client_with_notes(conversation, "ana", ["None today", "Some", "A lot"])
    client_with_notes(conversation, "ben", ["A lot"])
    with db.turn("test", "ana", now=clock()) as turn:
        data = chart_data(turn.rhythm.scores(), turn.rhythm.diary())
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(3)]
    assert data.use == list(zip(days, [0, 1, 2], strict=True))
    assert data.activities == days
    assert data.rulers == {}


def test_progress_sends_a_png_of_the_clients_trend(
    db: Database,
    flows,
    renderer: Renderer,  # type: ignore[no-untyped-def]
) -> None:
    clock = ShiftedClock(base=lambda: START)
    conversation = Conversation(db, flows, renderer, clock=clock)
    client = consented(conversation, "ana")
    client.say("/progress")
    assert "There is nothing to draw yet" in client.text
    assert all(said.attachment is None for said in client.last)

    note_days(client, ["Some", "None today"])
    client.say("/checkin")
    client.tap("It went well")
    client.say("a friend")
    client.tap("Keep it as it is")
    client.say("fine")
    client.tap("No, thanks")
    client.say("/progress")
    picture = client.last[0]
    assert "Here is your own progress" in picture.text
    assert "streak" not in picture.text.lower()
    assert picture.attachment is not None
    kind, name, png = picture.attachment
    assert (kind, name) == ("photo", "progress.png")
    assert png_size(png) == (800, 600)
    pixels = image.imread(io.BytesIO(png), format="png")
    assert pixels.shape == (600, 800, 4)


def test_the_chart_is_drawn_from_the_data_it_is_given(renderer: Renderer) -> None:
    words = renderer.strings("chart")
    empty = render_chart(chart_data([], []), words)  # an empty picture still draws
    assert png_size(empty) == (800, 600)
    scores = [ScoreView("importance", n, START + timedelta(days=n)) for n in range(5)]
    notes = [DiaryView(date(2026, 12, 1 + n), "use", "some") for n in range(5)]
    full = render_chart(chart_data(scores, notes), words)
    drawn, blank = (image.imread(io.BytesIO(png), format="png") for png in (full, empty))
    assert (drawn != blank).any()  # the points and bars are there


def test_the_last_few_amounts_are_written_on_their_bars_verbatim(renderer: Renderer) -> None:
    words = renderer.strings("chart")
    said = ["3 beers", "about 2 hours of gaming", "a couple of lines", "$\\frac{1}{$ {{ 7*7 }} <b>"]
    notes = [DiaryView(date(2026, 12, 1 + n), "use", "some", w) for n, w in enumerate(said)]
    data = chart_data([], notes)
    assert [text for _, text in data.amounts] == [  # the last three, cut to fit, never counted
        "about 2 hours of ga…",
        "a couple of lines",
        "$\\frac{1}{$ {{ 7*7…",
    ]
    bare = [DiaryView(n.day, n.kind, n.value) for n in notes]
    with_words, without = (
        image.imread(io.BytesIO(render_chart(chart_data([], n), words)), format="png")
        for n in (notes, bare)
    )
    assert (with_words != without).any()  # drawn as text: mathtext would refuse "$\frac{1}{$"


def test_over_a_long_stretch_the_bars_carry_no_words(renderer: Renderer) -> None:
    words = renderer.strings("chart")
    days = [date(2026, 12, 1), date(2027, 1, 20)]  # too narrow a day for a line of text
    notes = [DiaryView(day, "use", "a_lot", "3 beers") for day in days]
    bare = [DiaryView(day, "use", "a_lot") for day in days]
    assert render_chart(chart_data([], notes), words) == render_chart(chart_data([], bare), words)
