"""The understanding step on its labelled data: precision and recall per label for each step on
the held-out part (written before any rule or model, never learnt from), the same cross-validated
on the training part, the choice of the question nudge and the topic threshold (cross-validated on
the training part only), and speed. Run: `python bench/understanding.py [--misses]`.

Target: precision and recall at least 0.90 for every label on the held-out part. A label that
misses it is printed as MISSED, and the last line says so."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from dialogs.understanding import understand, warm_up
from dialogs.understanding.classifiers import SETTINGS, Reader, Settings, reader, trained
from dialogs.understanding.data import every_text
from dialogs.understanding.intent import QUESTION_NUDGE, STEERING_NUDGE
from dialogs.understanding.measure import (
    TARGET,
    Score,
    below_target,
    cross_validated,
    held_out,
    held_out_rounds,
    intent_reading,
    talk_reading,
    topic_reading,
)
from dialogs.understanding.talk import CHANGE_THRESHOLD
from dialogs.understanding.topic import TOPIC_THRESHOLD

STEPS = ("intents", "talk", "topics", "polarity")


def report(title: str, result: Score, show_misses: bool, targeted: bool) -> bool:
    print(f"\n{title}: {sum(result.total.values())} texts, macro F1 {result.macro_f1():.3f}")
    missed = below_target(result)
    for label in result.labels:
        mark = "  MISSED" if targeted and label in missed else ""
        counts = f"{result.right[label]:>3}/{result.total[label]:<3}"
        print(
            f"  {label:<20} precision {result.precision(label):5.3f}"
            f"  recall {result.recall(label):5.3f}  {counts}{mark}"
        )
    if show_misses:
        for label, got, text in result.misses:
            print(f"    {label} -> {got}: {text}")
    return not missed


def report_scores(title: str, result: Score, show_misses: bool) -> bool:
    right, total = sum(result.right.values()), sum(result.total.values())
    met = right / total >= TARGET
    print(
        f"\n{title}: {right}/{total} read as labelled ({right / total:.3f})"
        + ("" if met else "  MISSED")
    )
    if show_misses:
        for label, got, text in result.misses:
            print(f"    {label} -> {got}: {text}")
    return met


def choices() -> None:
    """The question nudge and the topic threshold, cross-validated on the training part."""
    print("\nChoices, cross-validated on the training part (macro F1):")
    nudges = (0.0, 0.15, 0.25, 0.5, 1.0)
    row = []
    for nudge in nudges:
        result = cross_validated("intents", lambda m, n=nudge: intent_reading(m, n))
        row.append(f"{nudge}: {result.macro_f1():.3f}")
    print(f"  question nudge (in use {QUESTION_NUDGE})  " + "  ".join(row))
    row = []
    for steering in (0.0, 0.15, 0.25, 0.35, 0.5):
        result = cross_validated("intents", lambda m, n=steering: intent_reading(m, steering=n))
        row.append(f"{steering}: {result.macro_f1():.3f}")
    print(
        f"  question nudge over a stop, already told or frustration (in use {STEERING_NUDGE})  "
        + "  ".join(row)
    )
    row = []
    for threshold in (0.1, 0.15, 0.2, 0.25, 0.35, 0.5):
        result = cross_validated("topics", lambda m, t=threshold: topic_reading(m, t))
        row.append(f"{threshold}: {result.macro_f1():.3f}")
    print(f"  topic threshold (in use {TOPIC_THRESHOLD})  " + "  ".join(row))
    row = []
    for threshold in (0.0, 0.4, 0.5, 0.6):
        result = cross_validated("talk", lambda m, t=threshold: talk_reading(m, t))
        change = f"change {result.precision('change'):.3f}/{result.recall('change'):.3f}"
        row.append(f"{threshold}: {result.macro_f1():.3f} ({change})")
    print(f"  change-talk threshold (in use {CHANGE_THRESHOLD})  " + "  ".join(row))
    for task in ("intents", "talk", "topics"):
        row = []
        for negation in (False, True):
            for c in (3.0, 10.0, 30.0, 100.0):
                result = cross_validated(task, settings=Settings(C=c, negation=negation))
                row.append(f"{'neg ' if negation else ''}C={c:g}: {result.macro_f1():.3f}")
        print(f"  {task} (in use {SETTINGS[task]})  " + "  ".join(row))  # type: ignore[index]


def speed() -> None:
    for task in ("intents", "talk", "topics"):
        trained.cache_clear()
        start = time.perf_counter()
        Reader(trained(task))  # type: ignore[arg-type]
        print(f"  learning {task:<8} {time.perf_counter() - start:6.3f} s")
    trained.cache_clear()
    reader.cache_clear()
    start = time.perf_counter()
    warm_up()
    print(f"  warm_up (learns all three) {time.perf_counter() - start:6.3f} s")
    texts = every_text("train") + every_text("heldout")
    times = []
    for expects in ("text", "choice", "scale"):
        for text in texts:
            start = time.perf_counter()
            understand(text, expects=expects)
            times.append(time.perf_counter() - start)
    times.sort()
    median, p99 = statistics.median(times), times[int(len(times) * 0.99)]
    print(
        f"  understand: median {median * 1000:.3f} ms, 99th percentile {p99 * 1000:.3f} ms "
        f"({len(times)} calls on the labelled texts)"
    )
    long = "so i was thinking " * 600
    start = time.perf_counter()
    for _ in range(20):
        understand(long, expects="text")
    print(
        f"  understand on a {len(long):,}-character text: "
        f"{(time.perf_counter() - start) / 20 * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every text it got wrong")
    args = parser.parse_args()
    sizes = {part: len(every_text(part)) for part in ("train", "heldout")}  # type: ignore[arg-type]
    share = sizes["heldout"] / (sizes["train"] + sizes["heldout"])
    print(f"labelled texts: {sizes['train']} training, {sizes['heldout']} held out ({share:.0%})")
    met = True
    for step in STEPS:
        met &= report(f"Held out: {step}", held_out(step), args.misses, targeted=True)
    for step in ("intents", "talk", "topics"):
        for name, result in held_out_rounds(step).items():
            report(f"Held out, round {name}", result, False, False)
    met &= report_scores("Held out: ruler scores", held_out("scores"), args.misses)
    for step in ("intents", "talk", "topics"):
        report(
            f"Training part, cross-validated (5 folds): {step}", cross_validated(step), False, False
        )
    choices()
    print("\nSpeed (one core):")
    speed()
    print(
        f"\ntargets on the held-out part (precision and recall >= {TARGET}):",
        "met" if met else "NOT MET",
    )


if __name__ == "__main__":
    main()
