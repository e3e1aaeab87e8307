"""A bad flow never loads: each mistake fails with an error naming the file and the state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dialogs import FlowError, FlowSet, load_flows
from prompts import Renderer

GOOD = """
description: A tiny flow for tests.
initial: ask
states:
  ask:
    say: agenda/topic
    expects: text
  pick:
    say: interest/ask
    expects: choice
    choices: ["yes", "no"]
  done:
    handoff: tiny
transitions:
  - {trigger: text, source: ask, dest: pick, actions: [{remember: topic}]}
  - {trigger: "yes", source: pick, dest: done}
  - {trigger: "no", source: pick, dest: ask}
"""


def load_one(tmp_path: Path, renderer: Renderer, text: str) -> FlowSet:
    (tmp_path / "tiny.yaml").write_text(text, encoding="utf-8")
    return load_flows(renderer, tmp_path)


def test_a_good_flow_loads(tmp_path: Path, renderer: Renderer) -> None:
    flows = load_one(tmp_path, renderer, GOOD)
    assert set(flows["tiny"].spec.states) == {"ask", "pick", "done"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("{remember: topic}", "{remember_everything: topic}"), "state 'ask': unknown action"),
        (("{remember: topic}", "give_consent, os.system"), "state 'ask': unknown action"),
        (("{remember: topic}", "remember"), "state 'ask': action 'remember' needs an argument"),
        (("say: interest/ask", "say: interest/nowhere"), "state 'pick': template"),
        (('  - {trigger: "no", source: pick, dest: ask}\n', ""), "state 'pick': dead end"),
        (("dest: pick,", "dest: ask,"), "state 'pick': unreachable"),
        (("handoff: tiny", "handoff: elsewhere"), "state 'done': hands off to unknown flow"),
        (('choices: ["yes", "no"]', 'choices: ["yes", "no", "maybe"]'), "choice 'maybe' has no"),
        (("initial: ask", "initial: start"), "state 'start': the initial state is not defined"),
        (("description: A tiny flow for tests.", ""), "does not match the flow schema"),
        (("expects: text", "expects: telepathy"), "does not match the flow schema"),
        (("    expects: text\n", ""), "state 'ask': a state either expects an answer"),
        (("{trigger: text, source: ask", "{trigger: score, source: ask"), "cannot happen here"),
    ],
)
def test_a_bad_flow_fails_naming_file_and_state(
    tmp_path: Path, renderer: Renderer, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(FlowError) as error:
        load_one(tmp_path, renderer, GOOD.replace(old, new, 1))
    assert str(error.value).startswith("tiny.yaml: ")
    assert message in str(error.value)


def test_a_text_question_may_offer_a_button_a_scale_question_may_not(
    tmp_path: Path, renderer: Renderer
) -> None:
    with_skip = GOOD.replace(
        "    expects: text\n", "    expects: text\n    choices: [skip_amount]\n"
    )
    with_skip += "  - {trigger: skip_amount, source: ask, dest: pick}\n"
    assert load_one(tmp_path, renderer, with_skip)["tiny"].offered("ask", None) == ["skip_amount"]  # type: ignore[arg-type]
    scale = with_skip.replace("expects: text", "expects: scale").replace(
        "trigger: text", "trigger: score"
    )
    with pytest.raises(FlowError, match="only choice and text states have choices"):
        load_one(tmp_path, renderer, scale)


def test_a_conditional_last_transition_is_a_dead_end(tmp_path: Path, renderer: Renderer) -> None:
    text = GOOD.replace(
        '{trigger: "no", source: pick, dest: ask}',
        '{trigger: "no", source: pick, dest: ask, conditions: [has_paused]}',
    )
    expected = "tiny.yaml: state 'pick': dead end: the last transition"
    with pytest.raises(FlowError, match=re.escape(expected)):
        load_one(tmp_path, renderer, text)


def test_the_engine_refuses_to_start_without_its_flows(tmp_path: Path, renderer: Renderer) -> None:
    (tmp_path / "tiny.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(FlowError, match=re.escape("welcome.yaml: the engine needs this flow")):
        load_flows(renderer, tmp_path, required=["welcome", "menu"])


def test_the_shipped_flows_draw_as_mermaid(flows: FlowSet) -> None:
    diagram = flows.mermaid()
    assert diagram.startswith("stateDiagram-v2")
    for name, flow in flows.flows.items():
        assert f"state {name} {{" in diagram
        assert len(flow.spec.description) > 40, f"{name} needs a real description"
