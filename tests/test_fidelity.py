"""`alongside fidelity`: the scripted conversations played against a throwaway database and
scored from the templates' MI codes, per flow and overall; the target is at least one
reflection per question, and no MI non-adherent utterance."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.fidelity import _Player, measure, play_scripts, score, script_paths
from dialogs import Conversation, FlowSet
from prompts import Renderer
from storage import Database
from tests.test_cli import alongside

MIN_REFLECTIONS_PER_QUESTION = 1.0


def test_the_command_prints_every_flow_and_meets_the_targets(tmp_path: Path) -> None:
    result = alongside("fidelity", cwd=tmp_path)  # any folder: it needs no database of yours
    assert result.returncode == 0, result.stderr
    rows = {
        m.group(1): m.groups()[1:]
        for m in re.finditer(
            r"^(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+|-)\s+([\d.]+|-)\s+(\d+)$",
            result.stdout,
            re.MULTILINE,
        )
    }
    said_in = {"welcome", "agenda", "relationship", "interest", "change", "step", "meaning"}
    assert said_in | {"menu", "information", "privacy", "forget", "overall"} <= set(rows)
    utterances, questions, reflections, per_question, complex_share, non_adherent = rows["overall"]
    assert float(per_question) >= MIN_REFLECTIONS_PER_QUESTION
    assert int(non_adherent) == 0 and 0 < float(complex_share) <= 1
    assert abs(int(reflections) / int(questions) - float(per_question)) < 0.006
    assert int(utterances) >= int(questions) + int(reflections)
    assert f"over {len(script_paths())} scripted conversations" in result.stdout
    assert "counted once" in result.stdout


def test_every_flow_and_the_whole_stay_mi_adherent() -> None:
    report = measure()
    assert report.overall.non_adherent == 0
    assert report.overall.reflections_per_question is not None
    assert report.overall.reflections_per_question >= MIN_REFLECTIONS_PER_QUESTION
    assert sum(m.utterances for m in report.per_flow.values()) == report.overall.utterances


def test_an_open_question_shown_again_after_an_interruption_counts_once(
    sqlite_db: Database, flows: FlowSet, renderer: Renderer, tmp_path: Path
) -> None:
    steps = [
        {"user": "/start"},
        {"tap": "Yes, that's OK"},
        {"tap": "No, thank you"},  # asks what would be helpful to talk about
        {"user": "/help"},  # ... and asks it again after the help text
        {"media": "sticker"},  # ... and again
        {"user": "my drinking"},  # answered: the next question is a new one
    ]
    path = tmp_path / "interrupted.yaml"
    path.write_text(yaml.safe_dump({"description": "x", "steps": steps}), encoding="utf-8")
    said = play_scripts([path], Conversation(sqlite_db, flows, renderer))
    topic = [u for u in said if "what would be helpful to talk about today?" in u.text]
    assert [u.repeat for u in topic] == [False, True, True]
    _, overall = score(said)
    assert overall.questions == 2  # the topic question once, then the subject question


def test_a_question_asked_again_after_it_was_answered_is_new(
    sqlite_db: Database, flows: FlowSet, renderer: Renderer
) -> None:
    player = _Player(Conversation(sqlite_db, flows, renderer), who="twice")
    player.play(
        [
            {"user": "/start"},
            {"tap": "Yes, that's OK"},
            {"tap": "No, thank you"},
            {"user": "/menu"},
            {"tap": "Safer-use information"},
            {"tap": "Drug checking"},
            {"user": "good to know"},
            {"tap": "Safer-use information"},
            {"tap": "Not using alone"},
        ]
    )
    thoughts = [u for u in player.said if u.text == "What do you make of that, for yourself?"]
    assert [u.repeat for u in thoughts] == [False, False]
