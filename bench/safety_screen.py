"""The safety screen on the labelled messages: recall per crisis category, past mentions, the
false-alarm rate on ordinary messages, and throughput. Run: `python bench/safety_screen.py`.

The tuned sets are the ones the rules were written against. Each held-out set was written before
the rule changes it first measured; the newest (holdout_8) has never been used to change the
screen, so its figures say the most about messages nobody has seen yet. The ordinary-conversation
set (1,350 client messages from every state of every flow) measures false alarms: at most 0.5%
alarms, and at most 2% alarms and direct questions together. "Any safety response"
counts an alarm or the direct question ("are you having thoughts of ending your life?");
false alarms (alarms and past checks on ordinary talk) and direct checks on ordinary talk are
counted apart."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from dialogs.safety import screen
from dialogs.safety.model import ASK_THRESHOLD, THRESHOLD, train
from dialogs.safety.screen import plain_text
from tests.safety.labelled import CRISIS, HOLDOUT_NOTES, HOLDOUTS, TUNED, Score, load, score

RECALL_TARGET, FALSE_ALARM_LIMIT = 0.98, 0.05
ORDINARY_ALARM_LIMIT, ORDINARY_ASKED_LIMIT = 0.005, 0.02  # on the ordinary-conversation set


def cross_validated(
    pairs: list[tuple[str, str]], folds: int = 10, ask_thresholds: tuple[float, ...] = ()
) -> dict[float, Score]:
    """The screen with its second opinion learnt without the messages it is tested on (the
    rules still saw them all): each tenth scored by a classifier learnt from the rest. One
    score per threshold for asking directly (the one in use if none are given)."""
    totals: dict[float, Score] = {}
    for fold in range(folds):
        test = pairs[fold::folds]
        rest = [pair for i, pair in enumerate(pairs) if i % folds != fold]
        model = train(plain_text, rest)
        for ask in ask_thresholds or (model.ask_threshold,):
            model.ask_threshold = ask
            result, total = score(test, model), totals.setdefault(ask, Score())
            total.total.update(result.total)
            total.right.update(result.right)
            total.alarmed.update(result.alarmed)
            total.checked.update(result.checked)
            total.misses.extend(result.misses)
    return totals


def thresholds(pairs: list[tuple[str, str]]) -> None:
    """How the threshold for asking directly trades questions on ordinary messages against
    suicide messages met, cross-validated on the tuned sets (held-out sets play no part)."""
    candidates = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
    print("\nAsking directly on the model's belief in suicide (10-fold cross-validated):")
    for ask, result in sorted(cross_validated(pairs, ask_thresholds=candidates).items()):
        ordinary = result.total["ordinary"]
        asked = result.checked["ordinary"] + result.false_alarms
        print(
            f"  ask at {ask:4.2f}: suicide met {result.response_recall('suicide'):5.3f}, "
            f"ordinary messages asked or alarmed {asked / ordinary:6.2%} ({asked}/{ordinary})"
        )


def report(
    title: str, pairs: list[tuple[str, str]], show_misses: bool, result: Score | None = None
) -> bool:
    result = result or score(pairs)
    print(f"\n{title}: {len(pairs)} messages")
    met = True
    for label in (*CRISIS, "past"):
        if not result.total[label]:
            print(f"  recall {label:<9}     -  none in this set")
            continue
        recall = result.recall(label)
        target = f"(target {RECALL_TARGET})" if label in CRISIS else "(gentle check)"
        counts = f"{result.right[label]:>3}/{result.total[label]:<3}"
        extra = (
            f"  any alarm {result.alarm_recall(label):5.3f}"
            f"  any safety response {result.response_recall(label):5.3f}"
            if label in CRISIS
            else ""
        )
        print(f"  recall {label:<9} {recall:5.3f}  {counts} {target}{extra}")
        met &= label not in CRISIS or recall >= RECALL_TARGET
    ordinary = result.total["ordinary"]
    rate = result.false_alarm_rate
    counts = f"{result.false_alarms:>3}/{ordinary:<3}"
    print(
        f"  false alarms     {rate:5.3f}  {counts} "
        f"(limit {FALSE_ALARM_LIMIT}; alarms and past checks)"
    )
    checks = f"{result.checked['ordinary']:>3}/{ordinary:<3}"
    print(
        f"  direct checks    {result.direct_check_rate:5.3f}  {checks} "
        "(ordinary messages asked directly)"
    )
    met &= rate <= FALSE_ALARM_LIMIT
    if ordinary >= 1000:  # the ordinary-conversation set: issue 9's limits
        asked = (result.false_alarms + result.checked["ordinary"]) / ordinary
        print(
            f"  alarms {rate:.2%} (limit {ORDINARY_ALARM_LIMIT:.1%}), alarms and direct "
            f"questions {asked:.2%} (limit {ORDINARY_ASKED_LIMIT:.0%})"
        )
    if show_misses:
        for label, got, message in result.misses:
            print(f"    {label} -> {got}: {message}")
    return met


def throughput(messages: list[str], seconds: float = 2.0) -> tuple[float, float]:
    """Messages a second on the labelled messages, and on 4,000-character ones."""
    long = [("so " * 1300) + m for m in messages[:50]]
    rates = []
    for batch in (messages, long):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for message in batch:
                screen(message)
            done += len(batch)
        rates.append(done / (time.perf_counter() - start))
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every message it got wrong")
    parser.add_argument(
        "--thresholds", action="store_true", help="cross-validate the threshold for asking"
    )
    args = parser.parse_args()
    tuned = load(*TUNED)
    met = report("Tuned sets (" + ", ".join(TUNED) + ")", tuned, args.misses)
    report(
        f"Tuned sets, second opinion cross-validated (10 folds, threshold {THRESHOLD}, "
        f"asking at {ASK_THRESHOLD})",
        tuned,
        args.misses,
        cross_validated(tuned)[ASK_THRESHOLD],
    )
    if args.thresholds:
        thresholds(tuned)
    held = []
    for name in HOLDOUTS:
        holdout = load(name)
        report(
            f"Held out: {name} ({HOLDOUT_NOTES[name]})",
            holdout,
            args.misses,
        )
        held += holdout
    short, long = throughput([m for _, m in tuned + held])
    print(
        f"\nthroughput: {short:,.0f} messages/s (labelled messages), {long:,.0f} messages/s "
        "(4,000-character messages), one core"
    )
    print("\ntargets on the tuned sets:", "met" if met else "NOT MET")


if __name__ == "__main__":
    main()
