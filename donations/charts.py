"""Charts drawn on the server as SVG, for the treasurer's dashboard (issue 12).

No script and no inline style (the Content Security Policy forbids both): the geometry is
computed here, the markup comes from templates/donations/money/dashboard/_*_chart.html, and
the colours from classes in static/css/rally.css. A chart is an image with a title; it always
sits beside a table with the same figures, for screen readers and print. Each bar and each
point carries its figure in cents (``data-cents``) and a ``<title>`` that says it in words,
so a person hovering and a test reading the markup both see what the table says.

Figures may be negative (a bank adjustment can take more than a bucket held): bars then start
from a zero line inside the chart, and the line's scale reaches below zero."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from events.dates import local_format

from .money import format_cents

WIDTH = 440  # drawn about this wide beside its table: the text stays readable
BAR_ROW = 40  # a label line and a bar under it
BAR_HEIGHT = 14
LABEL_CHARS = 36  # longer names are shortened in the chart (the table has them whole)

LINE_HEIGHT = 240
LINE_LEFT = 86  # room for the amounts on the vertical axis
LINE_RIGHT = 14
LINE_TOP = 12
LINE_BOTTOM = 34  # room for the times under the chart


def _round(value: float) -> float:
    return round(value, 1)


def _day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    cents: int
    amount: str
    label_y: float
    bar_y: float
    x: float
    width: float
    negative: bool


def bar_rows(rows: Iterable[tuple[str, int]]) -> tuple[list[Bar], float | None, int]:
    """The bars of ``rows`` ((label, cents) in the order shown), the x of the zero line when
    some figure is negative (else None), and the chart's height."""
    rows = [(str(label), int(cents)) for label, cents in rows]
    low = min([0, *(cents for _label, cents in rows)])
    high = max([0, *(cents for _label, cents in rows)])
    span = (high - low) or 1
    zero = WIDTH * (-low) / span
    bars = []
    for index, (label, cents) in enumerate(rows):
        top = index * BAR_ROW
        end = WIDTH * (cents - low) / span
        bars.append(Bar(
            label=label, short_label=_short(label), cents=cents, amount=format_cents(cents),
            label_y=top + 15, bar_y=top + 20, x=_round(min(zero, end)),
            width=_round(abs(end - zero)), negative=cents < 0))
    return bars, (_round(zero) if low < 0 else None), len(rows) * BAR_ROW


def bar_chart(rows: Iterable[tuple[str, int]], *, chart_id: str, title: str) -> SafeString:
    """A horizontal bar per row: its label and amount above, the bar under them, drawn to the
    same scale. ``chart_id`` must be unique on the page (it names the title). Empty rows:
    no chart (the table says there is nothing yet)."""
    bars, zero, height = bar_rows(rows)
    if not bars:
        return SafeString("")
    return render_to_string("donations/money/dashboard/_bar_chart.html", {
        "bars": bars, "zero": zero, "width": WIDTH, "height": height, "bar_height": BAR_HEIGHT,
        "chart_id": chart_id, "title": title,
    })


@dataclass(frozen=True)
class Point:
    at: datetime.datetime
    cents: int
    amount: str
    time: str
    x: float
    y: float


@dataclass(frozen=True)
class Tick:
    text: str
    x: float
    y: float
    anchor: str = "middle"


def line_geometry(points: Iterable[tuple[datetime.datetime, int]]) -> dict:
    """The points of a running total ((when, cents so far), in time order) placed on the
    chart, the path of the line as steps (the total changes at each point and stays level
    between them, from zero before the first), and the ticks of both axes."""
    points = sorted(((at, int(cents)) for at, cents in points), key=lambda p: p[0])
    plot_width = WIDTH - LINE_LEFT - LINE_RIGHT
    plot_height = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    start, end = points[0][0], points[-1][0]
    seconds = (end - start).total_seconds()
    low = min([0, *(cents for _at, cents in points)])
    high = max([0, *(cents for _at, cents in points)])
    span = (high - low) or 1

    def x_of(at: datetime.datetime) -> float:
        if not seconds:  # one moment: in the middle
            return _round(LINE_LEFT + plot_width / 2)
        return _round(LINE_LEFT + plot_width * (at - start).total_seconds() / seconds)

    def y_of(cents: int) -> float:
        return _round(LINE_TOP + plot_height * (high - cents) / span)

    style = "time" if _day(start) == _day(end) else "timestamp"
    placed = [Point(at=at, cents=cents, amount=format_cents(cents),
                    time=local_format(at, style), x=x_of(at), y=y_of(cents))
              for at, cents in points]
    path = [f"M{placed[0].x} {y_of(0)}"]
    for point in placed:
        path.append(f"H{point.x} V{point.y}")
    levels = sorted({low, high, 0})
    ticks_y = [Tick(format_cents(level), LINE_LEFT - 6, y_of(level), "end") for level in levels]
    ticks_x = [Tick(placed[0].time, placed[0].x, LINE_HEIGHT - 10,
                    "middle" if not seconds else "start")]
    if seconds:
        ticks_x.append(Tick(placed[-1].time, placed[-1].x, LINE_HEIGHT - 10, "end"))
    return {
        "points": placed, "path": " ".join(path), "ticks_x": ticks_x, "ticks_y": ticks_y,
        "gridlines": [tick.y for tick in ticks_y], "left": LINE_LEFT,
        "right": WIDTH - LINE_RIGHT, "baseline": LINE_HEIGHT - LINE_BOTTOM,
    }


def line_chart(points: Iterable[tuple[datetime.datetime, int]], *, chart_id: str,
               title: str) -> SafeString:
    """A running total through time as a stepped line, with a dot at each change. No points:
    no chart."""
    points = list(points)
    if not points:
        return SafeString("")
    return render_to_string("donations/money/dashboard/_line_chart.html", {
        **line_geometry(points), "width": WIDTH, "height": LINE_HEIGHT, "chart_id": chart_id,
        "title": title,
    })
