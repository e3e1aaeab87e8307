"""The only guards and actions a flow may name. YAML can reach nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dialogs.hearing import LAST_ANSWER
from dialogs.model import (
    ConsentAnswered,
    DialogModel,
    DiaryLogged,
    ForgetRequested,
    GoalSet,
    PersonAnswered,
    ReviewConsentAnswered,
    RhythmSet,
    ScoreRecorded,
)
from dialogs.rhythm import parse_local_time
from dialogs.safety import flow as safety
from dialogs.subjects import WITHDRAWAL_OPTIONS, mentions_withdrawal_risk
from dialogs.understanding.pattern import describes_use
from dialogs.understanding.subjects import families as families_of

RULERS_EVERY = 3  # check-ins: the rulers come back every third one
DIARY_WORDS_LIMIT = 200  # characters of a diary note's own words that are kept


@dataclass(frozen=True)
class Named:
    fn: Callable[[DialogModel, Any], Any]
    takes_arg: bool


def _remember(model: DialogModel, key: str) -> None:
    model.words[key] = model.text or ""
    model.context[LAST_ANSWER] = key


def _count(model: DialogModel, key: str) -> None:
    model.facts[key] = int(model.facts.get(key, 0)) + 1


def _knows(model: DialogModel, key: str) -> bool:
    return key in model.words


def _fits(model: DialogModel, families: str) -> bool:
    """An information topic for these families ("opioids alcohol"): offered when the client's
    subject is one of them, or when it is not known (then everything is offered)."""
    subject = model.words.get("subject")
    found = families_of(subject) if subject else ()
    return not found or any(f in families.split() for f in found)


def _start_change(model: DialogModel, option: str) -> None:
    """A full answer that is already a kind of change ("just safer"): straight to its words."""
    model.facts["change_option"] = option
    model.jump = ("change", "own_words")


def _remember_choice(model: DialogModel, key: str) -> None:
    model.facts[key] = model.choice


def _record_score(model: DialogModel, ruler: str) -> None:
    assert model.score is not None
    model.facts[ruler] = model.score
    model.effects.append(ScoreRecorded(ruler=ruler, score=model.score))


def _set_goal(model: DialogModel, kind: str) -> None:
    words = model.text or ""
    model.words[kind] = words
    model.context[LAST_ANSWER] = kind
    option = model.facts.get("change_option") if kind == "change" else None
    model.effects.append(GoalSet(kind=kind, words=words, option=option))


def _give_consent(model: DialogModel, _: None) -> None:
    model.effects.append(ConsentAnswered(given=True))


def _decline_consent(model: DialogModel, _: None) -> None:
    model.effects.append(ConsentAnswered(given=False))


def _allow_review(model: DialogModel, _: None) -> None:
    model.review_consent = True
    model.effects.append(ReviewConsentAnswered(allowed=True))


def _refuse_review(model: DialogModel, _: None) -> None:
    model.review_consent = False
    model.effects.append(ReviewConsentAnswered(allowed=False))


def _answer_person(model: DialogModel, agreed: bool) -> None:
    model.effects.append(PersonAnswered(agreed=bool(agreed)))


def _forget_everything(model: DialogModel, _: None) -> None:
    model.effects.append(ForgetRequested())


def _resume_paused(model: DialogModel, _: None) -> None:
    paused = model.context.pop("paused", None)
    if paused:
        model.jump = (paused["flow"], paused["state"])
        if paused.get("then"):  # a place kept from before this one
            model.context["paused"] = paused["then"]


def _fact_is(model: DialogModel, expectation: str) -> bool:
    """`{fact_is: importance=10}`: the client's recorded answer equals the value."""
    key, _, value = expectation.partition("=")
    return str(model.facts.get(key.strip())) == value.strip()


def _has_paused(model: DialogModel, _: None) -> bool:
    return model.paused is not None


def _set_rhythm(model: DialogModel, _: None) -> None:
    model.effects.append(
        RhythmSet(
            cadence=str(model.facts.get("cadence")),
            time_of_day=model.facts.get("time_of_day"),
            local_minute_now=parse_local_time(model.text or ""),
        )
    )


def _no_rhythm(model: DialogModel, _: None) -> None:
    model.facts["cadence"] = "none"
    model.effects.append(RhythmSet(cadence="none"))


def _diary_words(model: DialogModel) -> str:
    """The client's words for a diary note: one line, kept to a bounded length."""
    return " ".join((model.text or "").split())[:DIARY_WORDS_LIMIT]


def _log_diary(model: DialogModel, kind: str) -> None:
    """`use` and `activity` from a tap; `activity` in their words; `amount`: the words for
    today's use note (how much, how long), added to that same note."""
    if kind == "amount":
        words = model.words["diary_amount"] = _diary_words(model)
        value = str(model.facts.get("diary_use", "")).removeprefix("use_")
        model.effects.append(DiaryLogged("use", value, words))
    elif kind == "activity" and model.choice is None:  # the activity, in their words
        words = model.words["diary_activity"] = _diary_words(model)
        model.effects.append(DiaryLogged(kind, "done", words))
    else:
        value = (model.choice or "").removeprefix(f"{kind}_")
        model.effects.append(DiaryLogged(kind, value))


def _is_local_time(model: DialogModel, _: None) -> bool:
    return parse_local_time(model.text or "") is not None


def _has_rhythm(model: DialogModel, _: None) -> bool:
    return model.facts.get("cadence") in ("daily", "few_days", "weekly")


def _rulers_due(model: DialogModel, _: None) -> bool:
    return int(model.facts.get("checkins", 0)) % RULERS_EVERY == 0


def _has_fact(model: DialogModel, key: str) -> bool:
    return key in model.facts


def _review_allowed(model: DialogModel, _: None) -> bool:
    return model.review_consent


def _review_refused(model: DialogModel, _: None) -> bool:
    """Counselor review is off, and can be turned on: only a consenting client can."""
    return model.consented and not model.review_consent


def _withdrawal_risk(model: DialogModel, _: None) -> bool:
    """The client's goal means stopping or cutting down something whose sudden stop after heavy
    daily use can be medically dangerous (alcohol, benzodiazepines)."""
    return model.facts.get("change_option") in WITHDRAWAL_OPTIONS and mentions_withdrawal_risk(
        model.words.get("subject", ""), model.words.get("topic", ""), model.text or ""
    )


ACTIONS: dict[str, Named] = {
    "remember": Named(_remember, takes_arg=True),
    "count": Named(_count, takes_arg=True),
    "start_change": Named(_start_change, takes_arg=True),
    "remember_choice": Named(_remember_choice, takes_arg=True),
    "record_score": Named(_record_score, takes_arg=True),
    "set_goal": Named(_set_goal, takes_arg=True),
    "give_consent": Named(_give_consent, takes_arg=False),
    "decline_consent": Named(_decline_consent, takes_arg=False),
    "allow_review": Named(_allow_review, takes_arg=False),
    "refuse_review": Named(_refuse_review, takes_arg=False),
    "resume_paused": Named(_resume_paused, takes_arg=False),
    "set_rhythm": Named(_set_rhythm, takes_arg=False),
    "no_rhythm": Named(_no_rhythm, takes_arg=False),
    "log_diary": Named(_log_diary, takes_arg=True),
    "set_country": Named(safety.set_country, takes_arg=False),
    "resume_before_safety": Named(safety.resume_before_safety, takes_arg=False),
    "take_up_pending": Named(safety.take_up_pending, takes_arg=False),
    "confirm_concern": Named(safety.confirm_concern, takes_arg=False),
    "concern_declined": Named(safety.concern_declined, takes_arg=False),
    "forget_everything": Named(_forget_everything, takes_arg=False),
    "answer_person": Named(_answer_person, takes_arg=True),
}

GUARDS: dict[str, Named] = {
    "fact_is": Named(_fact_is, takes_arg=True),
    "has_paused": Named(_has_paused, takes_arg=False),
    "is_local_time": Named(_is_local_time, takes_arg=False),
    "rulers_due": Named(_rulers_due, takes_arg=False),
    "has_rhythm": Named(_has_rhythm, takes_arg=False),
    "has_safety_return": Named(safety.has_return, takes_arg=False),
    "heard": Named(lambda model, _: model.heard is not None, takes_arg=False),
    "has_fact": Named(_has_fact, takes_arg=True),
    "knows": Named(_knows, takes_arg=True),
    "fits": Named(_fits, takes_arg=True),
    "review_allowed": Named(_review_allowed, takes_arg=False),
    "review_refused": Named(_review_refused, takes_arg=False),
    "withdrawal_risk": Named(_withdrawal_risk, takes_arg=False),
    "describes_use": Named(lambda model, _: describes_use(model.text or ""), takes_arg=False),
}
