"""Precision and recall of the language guard on the labelled sentences in
tests/guard/sentences.yaml, with every sentence it gets wrong."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from prompts.guard import score_guard

SENTENCES = Path(__file__).parents[1] / "tests" / "guard" / "sentences.yaml"


def main() -> int:
    labelled = yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))
    score = score_guard(labelled["flag"], labelled["ok"])
    total = len(labelled["flag"]) + len(labelled["ok"])
    print(f"language guard on {total} labelled sentences ({SENTENCES.name})")
    print(f"  to flag: {len(labelled['flag'])}   MI-consistent or quoted: {len(labelled['ok'])}")
    print(f"  precision {score.precision:.3f}   recall {score.recall:.3f}")
    for sentence in score.missed:
        print(f"  missed:          {sentence}")
    for sentence in score.wrongly_flagged:
        print(f"  wrongly flagged: {sentence}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
