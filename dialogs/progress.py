"""The client's own progress as a picture: rulers over time, the days they noted, the things
that matter to them. Drawn on the server with matplotlib (Agg, no display), as a PNG.

Framed as their own trend: every noted day is a point, nothing counts up or resets."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from storage.rhythm import DiaryView, ScoreView

USE_LEVELS = {"none": 0, "some": 1, "a_lot": 2}
CHART_SIZE_INCHES = (8.0, 6.0)
CHART_DPI = 100
MIN_SPAN = timedelta(days=7)  # the picture shows at least a week
# The client's own words for amounts, written up the bars of their last few noted days; only
# while a day is wide enough on the picture for a line of small text (about a month shown).
AMOUNT_DAYS = 3
AMOUNT_CHARS = 20
AMOUNT_MAX_SPAN = timedelta(days=31)


@dataclass(frozen=True)
class ChartData:
    """The points to draw, all from one client's own answers and notes."""

    rulers: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    use: list[tuple[date, int]] = field(default_factory=list)  # 0 none, 1 some, 2 a lot
    activities: list[date] = field(default_factory=list)  # days with something that matters
    amounts: list[tuple[date, str]] = field(default_factory=list)  # last few, their own words

    @property
    def empty(self) -> bool:
        return not (self.rulers or self.use or self.activities)

    def span(self) -> tuple[date, date]:
        """The first and last day with anything on it."""
        days = [at.date() for points in self.rulers.values() for at, _ in points]
        days += [day for day, _ in self.use] + self.activities
        if not days:
            return date.today(), date.today()
        return min(days), max(days)


def chart_data(scores: list[ScoreView], notes: list[DiaryView]) -> ChartData:
    rulers: dict[str, list[tuple[datetime, int]]] = {}
    for s in scores:
        rulers.setdefault(s.ruler, []).append((s.at, s.score))
    use = [(n.day, USE_LEVELS[n.value]) for n in notes if n.kind == "use" and n.value in USE_LEVELS]
    activities = [n.day for n in notes if n.kind == "activity" and n.value == "done"]
    worded = [n for n in notes if n.kind == "use" and n.value in USE_LEVELS and n.words]
    amounts = [(n.day, _short(n.words or "")) for n in worded[-AMOUNT_DAYS:]]
    return ChartData(rulers=rulers, use=use, activities=activities, amounts=amounts)


def _short(words: str) -> str:
    """One line of at most AMOUNT_CHARS characters, cut with an ellipsis."""
    flat = " ".join(words.split())
    return flat if len(flat) <= AMOUNT_CHARS else flat[: AMOUNT_CHARS - 1].rstrip() + "…"


def render_chart(data: ChartData, words: dict[str, str]) -> bytes:
    """A PNG of `data`; `words` are the captions (from the labels template)."""
    # Imported here, not at start-up: matplotlib takes a few hundred milliseconds to load, and
    # only /progress needs it. `Figure` draws with the Agg backend without pyplot or a display.
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=CHART_SIZE_INCHES, dpi=CHART_DPI)
    top, bottom = figure.subplots(2, 1, sharex=True)
    figure.suptitle(words["title"])

    top.set_title(words["rulers"], fontsize=10)
    top.set_ylim(-0.5, 10.5)
    for ruler, points in sorted(data.rulers.items()):
        days, values = zip(*points, strict=True)
        top.plot(days, values, marker="o", label=words.get(ruler, ruler))
    if data.rulers:
        top.legend(loc="lower left", fontsize=8)
    else:
        top.text(0.5, 0.5, words["empty"], ha="center", transform=top.transAxes)

    bottom.set_title(words["diary"], fontsize=10)
    bottom.set_ylim(-0.5, 2.9)
    bottom.set_yticks([0, 1, 2])
    if data.use:
        days, levels = zip(*data.use, strict=True)
        bottom.bar(days, levels, width=0.6, color="#7fa7c9", label=words["use"])
    first, last = data.span()
    if last - first <= AMOUNT_MAX_SPAN:
        for day, amount in data.amounts:
            # Their words verbatim: parse_math off, so "$" or "\\" is text, never mathtext.
            bottom.text(
                day,
                0.1,
                amount,
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=7,
                color="#1d3a57",
                parse_math=False,
                clip_on=True,
            )
    if data.activities:
        bottom.scatter(
            data.activities,
            [2.5] * len(data.activities),
            marker="*",
            s=120,
            color="#e0a030",
            label=words["activity"],
        )
    if data.use or data.activities:
        bottom.legend(loc="upper right", fontsize=8)
    else:
        bottom.text(0.5, 0.5, words["empty"], ha="center", transform=bottom.transAxes)
    bottom.set_xlim(first - timedelta(days=1), max(last, first + MIN_SPAN) + timedelta(days=1))
    bottom.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    figure.autofmt_xdate()
    figure.tight_layout()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
