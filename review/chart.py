"""Importance and confidence over time, drawn as inline SVG on the server (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from review.clients import Score

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 16, 16, 32
RULERS = ("importance", "confidence")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    score: int
    label: str


@dataclass(frozen=True)
class Series:
    ruler: str
    points: tuple[Point, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    series: tuple[Series, ...]
    gridlines: tuple[tuple[int, float], ...]  # (score, y)
    first: str
    last: str
    left: int
    right: int


def ruler_chart(scores: Sequence[Score]) -> Chart | None:
    """x is time (evenly spread when all answers share one moment), y is the 0-10 score."""
    if not scores:
        return None
    times = [s.at.timestamp() for s in scores]
    start, span = min(times), max(times) - min(times)
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM

    def y(score: int) -> float:
        return TOP + inner_h * (1 - score / 10)

    series = []
    for ruler in RULERS:
        mine = [s for s in scores if s.ruler == ruler]
        points = []
        for i, s in enumerate(mine):
            share = (s.at.timestamp() - start) / span if span else (i + 1) / (len(mine) + 1)
            points.append(
                Point(
                    LEFT + inner_w * share,
                    y(s.score),
                    s.score,
                    f"{ruler} {s.score} on {s.at:%Y-%m-%d %H:%M} UTC",
                )
            )
        series.append(Series(ruler, tuple(points)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        series=tuple(series),
        gridlines=tuple((v, y(v)) for v in (0, 5, 10)),
        first=f"{min(s.at for s in scores):%Y-%m-%d}",
        last=f"{max(s.at for s in scores):%Y-%m-%d}",
        left=LEFT,
        right=WIDTH - RIGHT,
    )
