"""The understanding step on Telegram (the real `Application` against the Bot API double): a
client who asks to stop gets no new question, a question is answered before the pending one
comes back, and an answer typed where buttons were offered is read as the button it means."""

from __future__ import annotations

from tests.telegram_bot import Person


async def test_can_we_stop_is_honoured_and_the_place_kept(alex: Person) -> None:
    await alex.consents()
    hopes = await alex.says("i drink too much on weekdays")
    assert "What are you hoping for with drinking?" in hopes[-1].text
    stop = await alex.says("nothing. can we stop now")
    assert len(stop) == 1 and "we can stop here" in stop[0].text
    assert "?" not in stop[0].text and stop[0].buttons == []
    back = await alex.says("ok im back")
    assert "What are you hoping for with drinking?" in back[-1].text


async def test_a_question_is_answered_then_the_pending_question_comes_back(alex: Person) -> None:
    await alex.consents()
    await alex.says("im on gear most days")
    await alex.says("heroin")
    answer = await alex.says("where do u even get narcan")
    text = "\n".join(sent.text for sent in answer)
    assert "pharmacies" in text and "yours to weigh up" not in text
    assert "What are you hoping for with heroin?" in answer[-1].text


async def test_safer_typed_at_the_buttons_is_the_safer_route(alex: Person) -> None:
    await alex.consents()
    for line in [
        "gear every day",
        "heroin",
        "to be safer",
        "morning then later",
        "stops me being sick",
        "the fent thing scares me",
    ]:
        replies = await alex.says(line)
    assert [label for label, _ in replies[-1].buttons] == [
        "Yes",
        "Make it safer",
        "No",
        "Not sure",
    ], [sent.text for sent in replies]
    safer = await alex.says("not the using. just safer like i said")
    text = "\n".join(sent.text for sent in safer)
    assert "the change you want is for it to be safer" in text
    assert "stay as they are" not in text and "not sure which option" not in text
