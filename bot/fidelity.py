"""`alongside fidelity`: MI fidelity of the bot's side of the scripted conversations.

Every script in dialogs/scripts is played against a fresh SQLite database in a temporary
folder; the bot's replies are scored by their templates' MI codes (prompts.fidelity), per flow
and overall. Only a script's input steps (`user:`, `tap:`, `media:`) are played; its checks are
for the tests.

A reflection that pastes the client's words back (the whole of a message of three or more
words, or a run of eight of them, verbatim) is a simple reflection at most, whatever its
template says: an echo is not a complex reflection (MITI 4.2.1).

A question asked again before the client has answered it (after a command such as /help or
/privacy, a sticker, or an answer that did not fit) is the same open question shown again, not
a new one: it is counted once, and the number of such repeats is reported."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dialogs
from dialogs import Conversation, Inbound, InboundKind, Reply, load_flows
from dialogs.engine import CONSENT_VERSION, REQUIRED_FLOWS
from dialogs.rhythm import ShiftedClock, parse_duration
from dialogs.yamlfile import load_yaml
from prompts import Renderer
from prompts.fidelity import QUESTIONS, MiMetrics, mi_metrics
from storage import Database

SCRIPTS_DIR = Path(dialogs.__file__).parent / "scripts"  # shipped with the package
CHANNEL = "fidelity"
OVERALL = "overall"
ECHO_RUN = 8  # words of the client's, in a row, that make a reflection an echo
_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("\u2019", "'"))


def echoes(reply: str, heard: Iterable[str]) -> bool:
    """Whether `reply` repeats, word for word, a run of one of the client's messages."""
    said = f" {' '.join(_words(reply))} "
    for text in heard:
        words = _words(text)
        if len(words) < 3:
            continue
        run = min(len(words), ECHO_RUN)
        if any(f" {' '.join(words[i : i + run])} " in said for i in range(len(words) - run + 1)):
            return True
    return False


def script_paths(directory: Path = SCRIPTS_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


@dataclass(frozen=True)
class Utterance:
    flow: str
    mi_code: str
    text: str
    repeat: bool = False  # the open question shown again, not a new one
    template: str = ""


@dataclass(frozen=True)
class FidelityReport:
    scripts: int
    repeats: int  # open questions shown again, not counted
    per_flow: dict[str, MiMetrics]
    overall: MiMetrics


class _Player:
    """Plays one script's input steps as one client, keeping what the bot said."""

    def __init__(self, conversation: Conversation, who: str) -> None:
        self.conversation, self.who = conversation, who
        self.buttons: list[tuple[str, str]] = []  # (label, data) of the newest keyboard
        self.said: list[Utterance] = []
        self.open: tuple[str, str] | None = None  # (flow, template) of the unanswered question
        self.heard: list[str] = []  # what the client has typed so far
        self.lines: list[tuple[str, str]] = []  # the conversation as read: (who, text)

    def play(self, steps: Iterable[dict[str, Any]]) -> None:
        for step in steps:
            ((kind, value),) = step.items()
            text = str(value)
            if kind in ("user", "tap", "media", "wait"):
                self.lines.append((kind, text))
            if kind == "user" and text.startswith("/") and len(text) > 1:
                self.send(InboundKind.COMMAND, text=text[1:].split()[0].lower())
            elif kind == "user":
                self.heard.append(text)
                self.send(InboundKind.TEXT, text=text)
            elif kind == "tap":
                self.send(InboundKind.CHOICE, choice=self.button(text))
            elif kind == "media":
                self.send(InboundKind.MEDIA, text=text)
            elif kind == "consent_text_changes":
                self.conversation.consent_version = int(value)
            elif kind == "wait":
                self.wait(text)

    def wait(self, how_long: str) -> None:
        """Time passes (`+1d`, `10m`) and the scheduler runs: check-ins, urge-surfing steps."""
        clock = self.conversation.clock
        if not isinstance(clock, ShiftedClock):
            raise ValueError("a `wait:` step needs a conversation with a movable clock")
        clock.advance(parse_duration(how_long))
        for delivery in self.conversation.send_due():
            if delivery.external_id == self.who:
                self.keep(delivery.path, delivery.replies, delivery.said_in)

    def button(self, label: str) -> str:
        for shown, data in self.buttons:
            if shown == label:
                return data
        raise ValueError(f"no button {label!r} on the newest keyboard")

    def send(self, kind: InboundKind, *, text: str = "", choice: str | None = None) -> None:
        inbound = Inbound(CHANNEL, self.who, kind, text=text, choice=choice)
        outcome = self.conversation.handle(inbound)
        self.keep(outcome.path, outcome.replies, outcome.said_in)

    def keep(self, path: Sequence[str], replies: Sequence[Reply], said_in: Sequence[str]) -> None:
        if self.open is not None and self._answered(self.open, path):
            self.open = None
        for reply, flow in zip(replies, said_in, strict=True):
            repeat, code = False, reply.mi_code
            if code == "CR" and echoes(reply.text, self.heard):
                code = "SR"  # an echo is a simple reflection, never a complex one
            if reply.mi_code in QUESTIONS:
                repeat = self.open == (flow, reply.template)
                self.open = (flow, reply.template)
            self.said.append(Utterance(flow, code, reply.text, repeat, reply.template))
            self.lines.append((f"{code} {reply.template}", reply.text))
            self._keep_buttons(reply)

    def _answered(self, question: tuple[str, str], path: Sequence[str]) -> bool:
        """Whether a transition this turn left a state that asks `question`."""
        flow_name, template = question
        flows = self.conversation.flows
        asking = {s for s, spec in flows[flow_name].spec.states.items() if spec.say == template}
        for step in path:
            name, _, index = step.partition("#")
            if name == flow_name and asking & set(flows[name].spec.transitions[int(index)].sources):
                return True
        return False

    def _keep_buttons(self, reply: Reply) -> None:
        if reply.choices:
            self.buttons = [(c.label, c.data) for c in reply.choices]


def play_scripts(paths: Sequence[Path], conversation: Conversation) -> list[Utterance]:
    said: list[Utterance] = []
    for number, path in enumerate(paths):
        script = load_yaml(path)
        conversation.consent_version = CONSENT_VERSION  # a script may publish a new one
        player = _Player(conversation, who=f"script-{number}")
        try:
            player.play(script["steps"])
        except ValueError as error:
            raise ValueError(f"{path.name}: {error}") from error
        said.extend(player.said)
    return said


def transcripts(paths: Sequence[Path]) -> str:
    """The scripts' conversations as a client reads them: each bot line with its MI code and
    template (an echo demoted to SR shows as SR)."""
    out: list[str] = []
    with _conversation() as conversation:
        for number, path in enumerate(paths):
            conversation.consent_version = CONSENT_VERSION
            player = _Player(conversation, who=f"show-{number}")
            player.play(load_yaml(path)["steps"])
            out.append(f"=== {path.stem}")
            for who, text in player.lines:
                prefix = f"  [{who}]" if " " in who else f"> {who}:"
                out.append(f"{prefix} {text}")
    return "\n".join(out) + "\n"


def score(said: Iterable[Utterance]) -> tuple[dict[str, MiMetrics], MiMetrics]:
    by_flow: dict[str, list[Utterance]] = {}
    for utterance in (u for u in said if not u.repeat):
        by_flow.setdefault(utterance.flow, []).append(utterance)
    per_flow = {
        flow: mi_metrics((u.mi_code, u.text) for u in items)
        for flow, items in sorted(by_flow.items())
    }
    overall = mi_metrics((u.mi_code, u.text) for items in by_flow.values() for u in items)
    return per_flow, overall


@contextmanager
def _conversation() -> Iterator[Conversation]:
    """A conversation on a throwaway SQLite database, with a movable clock."""
    renderer = Renderer()
    flows = load_flows(renderer, required=REQUIRED_FLOWS)
    with tempfile.TemporaryDirectory(prefix="alongside-fidelity-") as folder:
        db = Database(f"sqlite:///{Path(folder) / 'fidelity.db'}")
        try:
            db.migrate()
            yield Conversation(db, flows, renderer, clock=ShiftedClock())
        finally:
            db.dispose()


def measure(paths: Sequence[Path] | None = None) -> FidelityReport:
    """Play the scripts against a throwaway SQLite database and score the bot's replies."""
    paths = script_paths() if paths is None else paths
    with _conversation() as conversation:
        said = play_scripts(paths, conversation)
    per_flow, overall = score(said)
    repeats = sum(u.repeat for u in said)
    return FidelityReport(len(paths), repeats, per_flow, overall)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_report(report: FidelityReport) -> str:
    header = (
        f"{'flow':<14}{'utterances':>11}{'questions':>10}{'reflections':>12}"
        f"{'refl/question':>15}{'complex share':>15}{'non-adherent':>14}"
    )
    lines = [f"MI fidelity over {report.scripts} scripted conversations", "", header]
    rows = [*report.per_flow.items(), (OVERALL, report.overall)]
    for name, m in rows:
        if name == OVERALL:
            lines.append("-" * len(header))
        lines.append(
            f"{name:<14}{m.utterances:>11}{m.questions:>10}{m.reflections:>12}"
            f"{_ratio(m.reflections_per_question):>15}{_ratio(m.complex_share):>15}"
            f"{m.non_adherent:>14}"
        )
    lines += [
        "",
        f"open questions shown again after an interruption (counted once): {report.repeats}",
    ]
    return "\n".join(lines) + "\n"
