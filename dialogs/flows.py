"""Flows as data: YAML files validated against a schema and checked as graphs at load, then
compiled into one shared `transitions` machine per flow."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from transitions import Machine

from dialogs.model import DialogModel
from dialogs.registry import ACTIONS, GUARDS, Named
from dialogs.yamlfile import load_yaml
from prompts import Renderer, TemplateError

FLOWS_DIR = Path(__file__).parent / "flows"
TEXT_TRIGGER = "text"
SCORE_TRIGGER = "score"
SCALE = tuple(str(n) for n in range(11))  # ruler answers, 0 to 10

Call = str | dict[str, str | int]  # "name" or {name: argument}


class FlowError(Exception):
    """A flow file that must not be loaded; the message names the file and the state."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceSpec(_Strict):
    key: str
    when: Call | None = None  # a guard: offer this choice only when it holds


class StateSpec(_Strict):
    say: str | None = None  # the template asked on entering the state
    expects: Literal["text", "choice", "scale"] | None = None
    choices: tuple[ChoiceSpec, ...] = ()
    handoff: str | None = None  # entering this state moves the client to this flow
    timed: tuple[str, ...] = ()  # triggers a timed message may fire here (dialogs/checkins.py)
    entry: bool = False  # the engine may move a client straight here (e.g. to renew consent)

    @field_validator("choices", mode="before")
    @classmethod
    def _short_choices(cls, value: Any) -> Any:
        return [{"key": c} if isinstance(c, str) else c for c in value or ()]


class TransitionSpec(_Strict):
    trigger: str
    source: str | tuple[str, ...]
    dest: str
    conditions: tuple[Call, ...] = ()
    unless: tuple[Call, ...] = ()
    actions: tuple[Call, ...] = ()
    say: tuple[str, ...] = ()  # templates rendered after the actions, before the next question

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else self.source


class FlowSpec(_Strict):
    description: str = Field(min_length=1)
    initial: str
    states: dict[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]


@dataclass(frozen=True)
class Flow:
    name: str
    spec: FlowSpec
    machine: Machine
    choice_guards: dict[tuple[str, str], Callable[[DialogModel], bool]]

    def state(self, name: str) -> StateSpec:
        return self.spec.states[name]

    def offered(self, state: str, model: DialogModel) -> list[str]:
        """The choice keys to offer in `state` for this client now."""
        spec = self.state(state)
        if spec.expects == "scale":
            return list(SCALE)
        return [
            c.key
            for c in spec.choices
            if (guard := self.choice_guards.get((state, c.key))) is None or guard(model)
        ]

    def fire(self, trigger: str, model: DialogModel) -> bool:
        """Trigger the shared machine on this per-turn model; False if no transition applied."""
        return bool(self.machine.events[trigger].trigger(model))


class FlowSet:
    def __init__(self, flows: dict[str, Flow]) -> None:
        self.flows = flows

    def __getitem__(self, name: str) -> Flow:
        return self.flows[name]

    def __contains__(self, name: object) -> bool:
        return name in self.flows

    def has_state(self, flow: str, state: str) -> bool:
        return flow in self.flows and state in self.flows[flow].spec.states

    def mermaid(self) -> str:
        """All flows as one Mermaid state diagram; handoffs point at the next flow."""
        lines = ["stateDiagram-v2"]
        for name, flow in self.flows.items():
            lines.append(f"    state {name} {{")
            for state in flow.spec.states:
                lines.append(f'        state "{state}" as {name}_{state}')
            lines.append(f"        [*] --> {name}_{flow.spec.initial}")
            for t in flow.spec.transitions:
                for source in t.sources:
                    lines.append(f"        {name}_{source} --> {name}_{t.dest}: {t.trigger}")
            lines.append("    }")
            for state, spec in flow.spec.states.items():
                if spec.handoff:
                    lines.append(f"    {name}_{state} --> {spec.handoff}")
        return "\n".join(lines) + "\n"


def load_flows(
    renderer: Renderer, directory: Path = FLOWS_DIR, required: Iterable[str] = ()
) -> FlowSet:
    """Load every `*.yaml` flow in `directory`; raise FlowError on the first problem found."""
    labels = renderer.labels()
    specs: dict[str, tuple[Path, FlowSpec]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            raw = load_yaml(path)
            specs[path.stem] = (path, FlowSpec.model_validate(raw))
        except (yaml.YAMLError, ValidationError) as error:
            raise FlowError(f"{path.name}: does not match the flow schema: {error}") from error
    for name in required:
        if name not in specs:
            raise FlowError(f"{name}.yaml: the engine needs this flow, and it is missing")
    flows = {}
    for name, (path, spec) in specs.items():
        _check(path.name, spec, set(specs), labels, renderer)
        flows[name] = _compile(name, spec)
    return FlowSet(flows)


def _check(
    file: str, spec: FlowSpec, flow_names: set[str], labels: dict[str, str], renderer: Renderer
) -> None:
    def fail(state: str, problem: str) -> FlowError:
        return FlowError(f"{file}: state '{state}': {problem}")

    def check_template(state: str, name: str) -> None:
        try:
            renderer.check(name)
        except TemplateError as error:
            raise fail(state, str(error)) from error
        except Exception as error:  # a Jinja syntax error, say
            raise fail(state, f"template '{name}' does not compile: {error}") from error

    def check_call(state: str, call: Call, registry: dict[str, Named], kind: str) -> None:
        name, has_arg = (call, False) if isinstance(call, str) else (*call, True)
        if isinstance(call, dict) and len(call) != 1:
            raise fail(state, f"a {kind} is written as `name` or `{{name: argument}}`")
        if name not in registry:
            raise fail(state, f"unknown {kind} '{name}' (known: {', '.join(sorted(registry))})")
        if registry[name].takes_arg != has_arg:
            needs = "needs an argument" if registry[name].takes_arg else "takes no argument"
            raise fail(state, f"{kind} '{name}' {needs}")

    if spec.initial not in spec.states:
        raise fail(spec.initial, "the initial state is not defined")
    for state, s in spec.states.items():
        if (s.expects is None) == (s.handoff is None):
            raise fail(state, "a state either expects an answer or hands off to another flow")
        if s.handoff is not None:
            if s.handoff not in flow_names:
                raise fail(state, f"hands off to unknown flow '{s.handoff}'")
            continue
        if s.say is None:
            raise fail(state, "a state that expects an answer must `say` its question")
        check_template(state, s.say)
        if s.expects == "choice" and not s.choices:
            raise fail(state, "a choice state needs choices")
        if s.expects == "scale" and s.choices:  # a text state may offer one-tap answers too
            raise fail(state, f"only choice and text states have choices, not '{s.expects}' states")
        for choice in s.choices:
            if choice.key not in labels:
                raise fail(state, f"choice '{choice.key}' has no label in the labels template")
            if choice.when is not None:
                check_call(state, choice.when, GUARDS, "guard")

    for t in spec.transitions:
        for source in t.sources:
            if source not in spec.states:
                raise fail(source, "a transition starts from this undefined state")
        if t.dest not in spec.states:
            raise fail(t.dest, "a transition goes to this undefined state")
        for source in t.sources:
            s = spec.states[source]
            expected = _triggers_for(s)
            if t.trigger not in expected:
                raise fail(
                    source, f"trigger '{t.trigger}' cannot happen here (expects {sorted(expected)})"
                )
            for call in (*t.conditions, *t.unless):
                check_call(source, call, GUARDS, "guard")
            for call in t.actions:
                check_call(source, call, ACTIONS, "action")
            for name in t.say:
                check_template(source, name)

    for state, s in spec.states.items():
        if s.handoff is not None:
            continue
        for trigger in _triggers_for(s):
            options = [t for t in spec.transitions if state in t.sources and t.trigger == trigger]
            if not options:
                raise fail(state, f"dead end: nothing happens on '{trigger}'")
            if options[-1].conditions or options[-1].unless:
                raise fail(
                    state,
                    f"dead end: the last transition on '{trigger}' needs a fallback "
                    "without conditions",
                )

    roots = [spec.initial, *(name for name, s in spec.states.items() if s.entry)]
    reached, queue = set(roots), deque(roots)
    while queue:
        here = queue.popleft()
        for t in spec.transitions:
            if here in t.sources and t.dest not in reached:
                reached.add(t.dest)
                queue.append(t.dest)
    for state in spec.states:
        if state not in reached:
            raise fail(state, f"unreachable from the initial state '{spec.initial}'")


def _triggers_for(state: StateSpec) -> set[str]:
    if state.expects == "text":
        return {TEXT_TRIGGER, *(c.key for c in state.choices), *state.timed}
    if state.expects == "scale":
        return {SCORE_TRIGGER, *state.timed}
    return {c.key for c in state.choices} | set(state.timed)


def _bind(call: Call, registry: dict[str, Named]) -> tuple[Callable[[DialogModel], Any], str]:
    if isinstance(call, str):
        fn, arg = registry[call].fn, None
        return (lambda model: fn(model, arg)), call
    ((name, arg),) = call.items()
    named = registry[name].fn
    return (lambda model: named(model, arg)), name


def _compile(name: str, spec: FlowSpec) -> Flow:
    def on_event(fn: Callable[[DialogModel], Any]) -> Callable[[Any], Any]:
        return lambda event: fn(event.model)

    def says(template: str) -> Callable[[Any], None]:
        return lambda event: event.model.says.append(template)

    def taken(index: int) -> Callable[[Any], None]:
        return lambda event: event.model.path.append(f"{name}#{index}")

    transitions = []
    for index, t in enumerate(spec.transitions):
        transitions.append(
            {
                "trigger": t.trigger,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": [on_event(_bind(c, GUARDS)[0]) for c in t.conditions],
                "unless": [on_event(_bind(c, GUARDS)[0]) for c in t.unless],
                "after": [on_event(_bind(a, ACTIONS)[0]) for a in t.actions]
                + [says(template) for template in t.say]
                + [taken(index)],
            }
        )
    machine = Machine(
        model=None,
        states=list(spec.states),
        transitions=transitions,
        initial=spec.initial,
        auto_transitions=False,
        send_event=True,
        name=name,
    )
    guards = {
        (state, c.key): _bind(c.when, GUARDS)[0]
        for state, s in spec.states.items()
        for c in s.choices
        if c.when is not None
    }
    return Flow(name=name, spec=spec, machine=machine, choice_guards=guards)
