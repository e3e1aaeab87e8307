"""MI metrics from the MI codes of the bot's messages."""

from prompts.fidelity import mi_metrics


def test_reflections_questions_and_non_adherence_are_counted() -> None:
    metrics = mi_metrics(
        [
            ("OQ", "What would you like from today?"),
            ("SR", "Evenings are the hard part."),
            ("CR", "Part of you wants a change, and part of you is not sure yet."),
            ("CQ", "Would that be all right?"),
            ("CR", "You know your own rhythm best."),
            ("AF", "You should stop drinking."),  # trips the guard
            (None, "Unknown"),
        ]
    )
    assert (metrics.questions, metrics.reflections, metrics.complex_reflections) == (2, 3, 2)
    assert metrics.reflections_per_question == 1.5
    assert metrics.complex_share == 2 / 3
    assert metrics.non_adherent == 2


def test_no_questions_or_reflections_gives_no_ratio() -> None:
    metrics = mi_metrics([("ST", "Here is the menu.")])
    assert metrics.reflections_per_question is None
    assert metrics.complex_share is None
