"""Every template, rendered in every state that uses it, with realistic and with hostile client
words: each declares an MI code, fits in a Telegram message, and never prescribes or labels."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dialogs import FlowSet
from dialogs.safety.flow import values as safety_values
from dialogs.understanding.themes import Theme, _rules
from dialogs.understanding.wording import own, said, themed, touched
from prompts import MI_CODES, TELEGRAM_MESSAGE_LIMIT, Renderer, flagged_phrases, html_to_plain
from prompts.renderer import QUOTE_LIMIT, quote
from review.handoff import MESSAGE_MAX

ROOT = Path(__file__).parents[1]
# Templates the code says itself (not from a flow): named in these modules' source.
ENGINE_SOURCE = "\n".join(
    (ROOT / name).read_text(encoding="utf-8")
    for name in (
        "dialogs/engine.py",
        "dialogs/data_rights.py",
        "dialogs/safety/flow.py",
        "dialogs/checkins.py",
        "dialogs/understanding/knowledge.py",  # the knowledge base: answers to questions
        "dialogs/hearing.py",  # the understanding step: stop, corrections, feelings at buttons
        "dialogs/handoff.py",  # a person from the team: the bot's side
        "review/handoff.py",  # a person from the team: what the dashboard sends in the bot's name
    )
)
# Said to counselors, not to a client: the safety alert (tests/test_safety_flow.py renders it).
ALERT_SOURCE = (ROOT / "bot" / "alerts.py").read_text(encoding="utf-8")
# One client in the safety flow; tests/test_safety_flow.py renders every category and country.
SAFETY = safety_values({"safety": {"category": "overdose", "country": "GB", "guessed": True}})
TEMPLATES = Path(__file__).parents[1] / "prompts"
# Out of hours, after a counselor's offer: the handoff templates' longer branches.
PERSON = SimpleNamespace(
    open=False,
    hours="Mon-Fri 09:00-17:00 (Europe/London time)",
    next_open="on Monday at 09:00",
    offered_by="casey",
    waiting=True,
)

REALISTIC_WORDS = {
    "topic": "I've been drinking more since I lost my job and it worries me a bit",
    "subject": "drinking",
    "hopes": "to feel more in control and to sleep better",
    "days": "a few beers every evening, more at weekends with my brother",
    "good": "it helps me switch off after work and I feel less anxious with people",
    "less_good": "I wake up tired and I spend money I don't have",
    "unsure": "I like it but I don't like how I feel the next day",
    "change": "only drink on Fridays and Saturdays",
    "importance_why": "my daughter noticed",
    "importance_up": "if my sleep got better",
    "confidence_why": "I did it before for a month",
    "confidence_up": "having something else to do in the evening",
    "first_step": "no beer on Monday",
    "meaning": "playing guitar, and my friends from the football club",
    "meaning_step": "play guitar for ten minutes on Wednesday",
    "diary_amount": "about 3 beers after work",
    "diary_activity": "played guitar with my brother",
}
HOSTILE = "<b>bold</b> <script>alert(1)</script> {{ 7*7 }} {% raw %} &amp; " + "x" * 10_000
HOSTILE_WORDS = {key: HOSTILE for key in REALISTIC_WORDS}
OPTIONS = ["less", "safer", "breaks", "timing", "stop", "own_way"]


def facts_variants() -> Iterator[dict[str, Any]]:
    yield {}
    for option, score in itertools.product(OPTIONS, [0, 1, 7, 8, 10]):
        yield {"change_option": option, "importance": score, "confidence": 10 - score}


def uses(flows: FlowSet) -> Iterator[tuple[str, str]]:
    """(template, where) for every template a flow state or transition says."""
    for name, flow in flows.flows.items():
        for state, spec in flow.spec.states.items():
            if spec.say:
                yield spec.say, f"{name}.{state}"
        for t in flow.spec.transitions:
            for template in t.say:
                yield template, f"{name}.{'|'.join(t.sources)} -> {t.dest}"


def engine_templates(renderer: Renderer) -> list[str]:
    return [n for n in renderer.names() if n.startswith("system/") or f'"{n}"' in ENGINE_SOURCE]


ERASED = {"transcript_event": 42, "goal": 3, "dialog_state": 1, "a_future_table": 2}
CLIENTS = [{"consented": True, "review": True}, {"consented": False, "review": False}]
# How the service keeps things (/privacy, the welcome): encrypted or not, and for how long.
PRIVACY = [{"encrypted": True, "retention_days": 365}, {"encrypted": False, "retention_days": 90}]


def source_line(template: str, phrase: str, root: Path = TEMPLATES) -> int | None:
    """The line of the template's source that says `phrase` (a guard match), if one does."""
    source = (root / "en" / f"{template}.j2").read_text(encoding="utf-8")
    wanted = " ".join(phrase.lower().split())
    for number, line in enumerate(source.splitlines(), start=1):
        if wanted in " ".join(line.lower().replace("&#39;", "'").split()):
            return number
    return None


def where_in_source(template: str, flagged: str) -> str:
    """`prompts/en/<template>.j2:<line>` for a guard finding ("rule: phrase")."""
    line = source_line(template, flagged.partition(": ")[2])
    return f"prompts/en/{template}.j2:{line if line is not None else '?'}"


def render_all(renderer: Renderer, flows: FlowSet, words: dict[str, str]) -> Iterator[Any]:
    goals_variants: list[dict[str, str]] = [
        {},
        {k: REALISTIC_WORDS[k] for k in ("change", "first_step", "meaning_step")},
    ]
    targets = [*uses(flows), *((t, "engine") for t in engine_templates(renderer))]
    for (template, where), facts in itertools.product(targets, facts_variants()):
        for subject in (words.get("subject"), None):
            for goals, client, privacy in zip(goals_variants, CLIENTS, PRIVACY, strict=True):
                for expects, scheduled in itertools.product(("text", "choice", "scale"), (0, 1)):
                    rendered = renderer.render(
                        template,
                        words=words,
                        facts=facts,
                        subject=subject,
                        heard="you feel a bit shaky but okay",
                        said=said(words),
                        own=own(words),
                        areas=touched(words),
                        themes=themed(words),
                        goals=goals,
                        expects=expects,
                        safety=SAFETY,
                        client=client,
                        privacy=privacy,
                        erased=ERASED,
                        scheduled=bool(scheduled),
                        next_due="Monday 30 November at 09:00" if scheduled else None,
                        person=PERSON,
                        counselor="casey",
                        idle=bool(scheduled),
                        message=words.get("topic", "Hello, I'm Casey.")[:MESSAGE_MAX],
                    )
                    yield where, rendered


def test_every_template_declares_an_mi_code(renderer: Renderer) -> None:
    for name in renderer.names():
        renderer.check(name)
        assert renderer.mi_code(name) in MI_CODES


def test_every_template_is_used(renderer: Renderer, flows: FlowSet) -> None:
    used = {template for template, _ in uses(flows)}
    unused = [
        name
        for name in renderer.names()
        if name not in used
        and name != "labels"
        and f'"{name}"' not in ENGINE_SOURCE
        and f'"{name}"' not in ALERT_SOURCE
    ]
    assert unused == []


@pytest.mark.parametrize("words", [REALISTIC_WORDS, {}], ids=["realistic words", "no words yet"])
def test_templates_render_in_every_state_within_limits_and_guarded(
    renderer: Renderer, flows: FlowSet, words: dict[str, str]
) -> None:
    problems = []
    for where, rendered in render_all(renderer, flows, words):
        if not rendered.text.strip():
            problems.append(f"{rendered.template} at {where}: renders empty")
        if len(rendered.text) > TELEGRAM_MESSAGE_LIMIT:
            problems.append(f"{rendered.template} at {where}: {len(rendered.text)} characters")
        for phrase in flagged_phrases(rendered.text):
            at = where_in_source(rendered.template, phrase)
            problems.append(f"{at} (rendered at {where}): says {phrase!r}")
    assert problems == [], "\n".join(sorted(set(problems)))


def test_every_theme_has_a_reflection_of_its_own_that_reads_clean(renderer: Renderer) -> None:
    """Each theme of themes.yaml, with each of its details, after each question that invites
    it: a complex reflection in the bot's words (never the fallback), and the guard is quiet."""
    from dialogs.hearing import DEEPER

    for rule in _rules():
        for detail in [*(name for name, _ in rule.details), *([] if rule.needs_detail else [None])]:
            for flow, state in [key for key, kinds in DEEPER.items() if rule.kind in kinds]:
                theme = Theme(rule.kind, detail)
                rendered = renderer.render(
                    "hearing/deeper", theme=theme, asked=f"{flow}/{state}", facts={}
                )
                assert rendered.mi_code in ("CR", "SR"), (theme, rendered.text)
                assert rendered.text and not flagged_phrases(rendered.text), (theme, rendered)


_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}")


def guard_template_lines(root: Path) -> list[str]:
    """Every source line of every template under `root` that trips the guard, as
    `path:line: rule: phrase`; template code in a line stands in as “…”."""
    problems = []
    for path in sorted(root.rglob("*.j2")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for phrase in flagged_phrases(_JINJA.sub("…", line)):
                problems.append(f"{path.relative_to(root.parent)}:{number}: {phrase}")
    return problems


def test_no_template_line_trips_the_guard() -> None:
    problems = guard_template_lines(TEMPLATES)
    assert problems == [], "\n".join(problems)


def test_a_line_that_trips_the_guard_is_named_by_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "en" / "step").mkdir(parents=True)
    (tmp_path / "en" / "step" / "bad.j2").write_text(
        "{# mi: ST #}\nWhat would you like?\n{{ words.x }}, you&#39;ve gotta quit.\n",
        encoding="utf-8",
    )
    problems = guard_template_lines(tmp_path)
    assert problems and all(p.startswith(f"{tmp_path.name}/en/step/bad.j2:3: ") for p in problems)
    # A finding in a rendered template is traced back to its line the same way.
    (finding,) = flagged_phrases("Sam, you've gotta quit.")[:1]
    assert source_line("step/bad", finding.partition(": ")[2], root=tmp_path) == 3


def test_hostile_client_words_stay_inert_escaped_and_short(
    renderer: Renderer, flows: FlowSet
) -> None:
    for where, rendered in render_all(renderer, flows, HOSTILE_WORDS):
        assert len(rendered.text) <= TELEGRAM_MESSAGE_LIMIT, f"{rendered.template} at {where}"
        assert "<script>" not in rendered.text and "<b>bold" not in rendered.text
        assert "49" not in rendered.text, f"{rendered.template} evaluated client text"
        if "b&gt;bold" in rendered.text:  # quoted: escaped; paraphrased: markup left out
            assert "&lt;b&gt;bold&lt;/b&gt;" in rendered.text
            assert "{{ 7*7 }}" in html_to_plain(rendered.text)


def test_labels_and_command_descriptions_are_short_and_guarded(renderer: Renderer) -> None:
    for key, label in {**renderer.labels(), **renderer.commands()}.items():
        assert 0 < len(label) <= 48, key
        assert flagged_phrases(label) == [], key
    # Callback data is "<question id>:<key>", within Telegram's 64 bytes even after years of use.
    longest = max(len(k.encode()) for k in renderer.labels())
    assert len(str(10**12)) + 1 + longest <= 64


def test_quote_keeps_short_words_and_cuts_long_ones_at_a_word() -> None:
    assert quote("  it helps me\nswitch off ") == "it helps me switch off"
    long = "word " * 200
    cut = quote(long)
    assert cut.endswith("…") and len(cut) <= QUOTE_LIMIT + 1 and "wor…" not in cut


@pytest.mark.parametrize(
    "sentence",
    [
        "You should cut down.",
        "You must stop using now.",
        "You need to cut back.",
        "You have to think about this.",
        "You'd better be careful.",
        "you've gotta quit",
        "u should stop",
        "Think of your kids.",
        "It's your duty to change.",
        "Staying clean matters.",
        "Addicts often feel this way.",
        "Many alcoholics say this.",
        "That was a relapse.",
        "Drug users sometimes find this.",
        "Substance abuse is common.",
        "Giving up is hard.",
        "You failed this week, so start over.",
        "Why is it not higher?",
    ],
)
def test_the_guard_flags_prescribing_and_labelling(sentence: str) -> None:
    assert flagged_phrases(sentence) != []


@pytest.mark.parametrize(
    "sentence",
    [
        "What would you like to talk about?",
        "Some people find it helps to take breaks. What do you make of that?",
        "What makes it a 4 and not a lower number?",
        "That's a full answer, and it's yours to make.",
        "You said “I'm an addict and I should quit”.",  # the client's own words, quoted back
        "Stopping altogether is one choice among many, and it's yours.",
        "A setback is information: what did you learn?",
    ],
)
def test_the_guard_leaves_mi_consistent_sentences_and_quoted_words_alone(sentence: str) -> None:
    assert flagged_phrases(sentence) == []


def test_locales_fall_back_to_english(renderer: Renderer) -> None:
    assert renderer.locale_for("en-GB") == "en"
    assert renderer.locale_for("pt-br") == "en"
    assert renderer.locale_for(None) == "en"
