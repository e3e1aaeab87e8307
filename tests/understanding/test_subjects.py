"""The subject question, answered the way people answer it: the bot keeps a word, never a
sentence, and asks to confirm when the word is slang for more than one thing."""

from __future__ import annotations

import pytest

from dialogs.understanding import Subject
from dialogs.understanding.subjects import bench_subjects, families, family, find_subject, own_name


@pytest.mark.parametrize(
    ("reply", "word"),
    [
        ("mostly the cans tbh", "drinking"),
        ("gear. heroin", "heroin"),
        ("beer i guess. drinking", "drinking"),
        ("i smoke a bit of weed and drink on weekends", "weed and drinking"),
        ("vaping", "vaping"),
        ("the pokies", "gambling"),
        ("fifa packs", "gaming"),
        ("gaming obv", "gaming"),
        ("heroine", "heroin"),
        ("xanex", "xanax"),
        ("pints", "drinking"),
        ("no not weed. drinking", "drinking"),
        ("painkillers. codeine mostly", "codeine"),
        ("im trying to stay off coke. been 2 weeks", "coke"),
    ],
)
def test_the_subject_is_the_clients_word_fit_for_a_sentence(reply: str, word: str) -> None:
    found = find_subject(reply)
    assert found is not None and found.word == word


def test_k_alone_could_be_ketamine_or_ok_so_the_bot_asks() -> None:
    assert find_subject("k") == Subject("ketamine", sure=False)
    assert find_subject("ket") == Subject("ketamine", sure=True)


@pytest.mark.parametrize(
    "reply",
    [
        "idk",
        "whatever",
        "nothing",
        "dunno",
        "im not the one with the problem tbh",
        "hey. not sure why im here really. just wanted someone to talk to",
        "i dont really want to say",
        "everything tbh",
    ],
)
def test_non_answers_and_sentences_give_no_subject(reply: str) -> None:
    assert find_subject(reply) is None


def test_a_short_reply_outside_the_lexicon_is_kept_as_a_short_phrase() -> None:
    assert find_subject("sugar") == Subject("sugar", sure=True)
    mine = find_subject("my ex")
    assert mine is not None and mine.word == "your ex" and not mine.sure


def test_a_subject_is_never_a_sentence() -> None:
    for reply in [
        "i think im drinking too much during the week. like most nights after work its 3-4 beers",
        "get home around 6, open a beer while cooking, then another with dinner",
        "its just part of the day. morning to get well, then again later",
    ]:
        found = find_subject(reply)
        assert found is None or len(found.word.split()) <= 3


def test_named_in_passing_in_a_long_reply_it_is_unsure() -> None:
    found = find_subject(
        "i mean i smoke a bit of weed and drink on weekends but thats not really it. "
        "i just feel kind of lonely since i moved cities"
    )
    assert found == Subject("weed and drinking", sure=False)


def test_families_let_offers_match_the_substance() -> None:
    assert family("drinking") == "alcohol"
    assert family("coke") == "stimulants"
    assert family("ket") == "dissociatives"
    assert family("gambling") == "gambling"
    assert families("weed and drinking") == ("cannabis", "alcohol")
    assert family("your ex") is None


def test_held_out_replies_meet_the_target() -> None:
    score = bench_subjects()
    assert score.total >= 80
    assert score.accuracy >= 0.9, score.misses


@pytest.mark.parametrize(
    ("reply", "theirs"),
    [
        ("gear", "gear"),  # their word, as the question promised
        ("mostly gear tbh", "gear"),
        ("smack", "smack"),
        ("charlie", "charlie"),
        ("heroine", None),  # a typo of the plain word is not a name of theirs
        ("h", None),  # a letter does not fit a sentence
        ("the pokies", None),  # nor does a plural: "gambling" does
        ("gear. heroin", None),
        ("weed", None),  # the lexicon's word already
    ],
)
def test_their_own_name_is_kept_where_it_fits_a_sentence(reply: str, theirs: str | None) -> None:
    assert own_name(reply) == theirs


@pytest.mark.parametrize(
    ("reply", "word"),
    [
        ("coke and ket", "coke and ket"),  # each in their own word, not "ketamine"
        ("charlie and booze tbh", "charlie and booze"),
        ("i smoke weed and drink on weekends", "weed and drinking"),  # a verb is not a name
        ("gamble and drink", "gambling and drinking"),
    ],
)
def test_two_names_keep_the_clients_own_words(reply: str, word: str) -> None:
    found = find_subject(reply)
    assert found is not None and found.word == word
