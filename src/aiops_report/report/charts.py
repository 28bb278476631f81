"""The report's charts, drawn as vectors with reportlab.graphics (small and sharp at any zoom)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

AXIS_COLOR = colors.HexColor("#8A94A6")
GRID_COLOR = colors.HexColor("#E3E7EE")
LABEL_COLOR = colors.HexColor("#4A5568")
INK = colors.HexColor("#1F2933")
FONT_SIZE = 7
LEFT, BOTTOM, TOP, RIGHT = 34, 26, 22, 8  # room for the axes' labels and the legend
LABEL_GAP = 3  # the least room between two category labels


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    color: colors.Color
    dashed: bool = False


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: float,
    height: float,
    font: str,
    value_labels: bool = False,
    short_categories: Sequence[str] | None = None,
) -> Drawing:
    """Bars per category, one bar per series side by side; the value axis starts at 0.

    Labels that do not fit under their bars side by side are replaced by `short_categories`
    (e.g. a score bucket's lower edge instead of its range), and turned aslant if those do not
    fit either: no two labels ever overlap.
    """
    drawing = _drawing(width, height, font)
    chart = VerticalBarChart()
    _place(chart, width, height)
    chart.data = [[v or 0 for v in s.values] for s in series]
    chart.groupSpacing = 6 if len(series) > 1 else 10
    chart.barSpacing = 1
    for index, s in enumerate(series):
        chart.bars[index].fillColor = s.color
        chart.bars[index].strokeColor = None
    _style_axes(chart, font)
    slot = chart.width / max(1, len(categories))
    names = list(categories)
    if short_categories is not None and not _fit(names, slot, font):
        names = list(short_categories)
    chart.categoryAxis.categoryNames = names
    if not _fit(names, slot, font):
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(max((v or 0 for s in series for v in s.values), default=0))
    if value_labels:
        chart.barLabelFormat = _thousands
        chart.barLabels.fontName = font
        chart.barLabels.fontSize = FONT_SIZE - 1
        chart.barLabels.fillColor = LABEL_COLOR
        chart.barLabels.nudge = 6
    drawing.add(chart)
    if len(series) > 1:
        drawing.add(_legend(series, height, font))
    return drawing


def line_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: float,
    height: float,
    font: str,
) -> Drawing:
    """Lines over the categories; a None value leaves a gap. The value axis fits the data."""
    drawing = _drawing(width, height, font)
    chart = HorizontalLineChart()
    _place(chart, width, height)
    chart.data = [list(s.values) for s in series]
    chart.joinedLines = True
    for index, s in enumerate(series):
        line = chart.lines[index]
        line.strokeColor = s.color
        line.strokeWidth = 1 if s.dashed else 2
        if s.dashed:
            line.strokeDashArray = (3, 2)
        else:
            line.symbol = makeMarker("FilledCircle", size=4, fillColor=s.color)
    chart.categoryAxis.categoryNames = list(categories)
    _style_axes(chart, font)
    known = [v for s in series for v in s.values if v is not None]
    chart.valueAxis.valueMin = max(0, math.floor(min(known)) - 1)
    chart.valueAxis.valueMax = math.ceil(max(known)) + 1
    chart.valueAxis.labelTextFormat = "%.1f"
    drawing.add(chart)
    drawing.add(_legend(series, height, font))
    return drawing


def histogram(
    buckets: Sequence[tuple[float, float]],
    series: Sequence[Series],
    *,
    width: float,
    height: float,
    font: str,
) -> Drawing:
    """Bars per bucket (low, high), labelled with their range ("0–1") where those fit side by
    side, else with their lower edge ("90" for 90–100): readable on any score scale."""
    ranges = [f"{low:g}–{high:g}" for low, high in buckets]
    lower_edges = [f"{low:g}" for low, _ in buckets]
    return bar_chart(
        ranges, series, width=width, height=height, font=font, short_categories=lower_edges
    )


def _drawing(width: float, height: float, font: str) -> Drawing:
    drawing = Drawing(width, height)
    drawing.initialFontName = font  # the renderer's starting font, Helvetica otherwise
    return drawing


def _place(chart: VerticalBarChart | HorizontalLineChart, width: float, height: float) -> None:
    chart.x, chart.y = LEFT, BOTTOM
    chart.width = width - LEFT - RIGHT
    chart.height = height - BOTTOM - TOP


def _style_axes(chart: VerticalBarChart | HorizontalLineChart, font: str) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = font
        axis.labels.fontSize = FONT_SIZE
        axis.labels.fillColor = LABEL_COLOR
        axis.strokeColor = AXIS_COLOR
        axis.strokeWidth = 0.5
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.categoryAxis.labels.dy = -3
    chart.categoryAxis.labels.leading = FONT_SIZE + 1
    chart.categoryAxis.visibleTicks = False
    value_axis = chart.valueAxis
    value_axis.visibleAxis = False
    value_axis.visibleTicks = False
    value_axis.visibleGrid = True
    value_axis.gridStrokeColor = GRID_COLOR
    value_axis.gridStrokeWidth = 0.5
    value_axis.labelTextFormat = _thousands
    value_axis.maximumTicks = 6


def _fit(labels: Sequence[str], slot: float, font: str) -> bool:
    """Whether each of `labels` fits in `slot` points, with room between neighbours."""
    return all(stringWidth(label, font, FONT_SIZE) + LABEL_GAP <= slot for label in labels)


def _legend(series: Sequence[Series], height: float, font: str) -> Legend:
    legend = Legend()
    legend.x, legend.y = LEFT, height - 6
    legend.boxAnchor = "nw"
    legend.alignment = "right"
    legend.columnMaximum = 1  # one entry per column: the legend runs across the top
    legend.deltax = 0
    legend.dx = legend.dy = 7
    legend.dxTextSpace = 4
    legend.fontName = font
    legend.fontSize = FONT_SIZE
    legend.fillColor = LABEL_COLOR
    legend.strokeColor = None
    legend.colorNamePairs = [(s.color, s.label) for s in series]
    return legend


def _nice_max(value: float) -> float:
    """A round top for a value axis a little above `value` (1 when there is nothing)."""
    if value <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(value))
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value * 1.12 <= factor * step:
            return factor * step
    return 10 * step


def _thousands(value: float) -> str:
    return f"{value:,.0f}"


# --- the waterfall of a change's parts (explain.py) ---------------------------------------------

MIX_COLOR = colors.HexColor("#E0A030")  # traffic that moved
RATE_COLOR = colors.HexColor("#2F6FB0")  # groups' own change
ROW, LABEL_WIDTH, VALUE_WIDTH, LEGEND_HEIGHT = 13, 110, 46, 16


@dataclass(frozen=True)
class Step:
    """One row of a waterfall: a group's mix and rate parts, drawn one after the other."""

    label: str
    mix: float
    rate: float
    bold: bool = False


def waterfall(
    steps: Sequence[Step],
    total: Step,
    *,
    width: float,
    font: str,
    bold_font: str,
    legend: tuple[str, str],
    shown: Callable[[float], str],
) -> Drawing:
    """A horizontal waterfall: each step's bar starts where the one above ended (its mix part,
    then its rate part), the total's bar from 0; a dashed line marks 0; each row's sum
    (`shown`) at its right."""
    rows = [*steps, total]
    height = LEGEND_HEIGHT + ROW * len(rows) + 6
    drawing = _drawing(width, height, font)
    ends, running = [0.0], 0.0
    for step in steps:
        ends += [running + step.mix, running + step.mix + step.rate]
        running += step.mix + step.rate
    ends += [total.mix, total.mix + total.rate]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0
    left, right = LABEL_WIDTH, width - VALUE_WIDTH

    def x(value: float) -> float:
        return left + (value - low) / span * (right - left)

    top = height - LEGEND_HEIGHT
    drawing.add(
        Line(x(0), 2, x(0), top, strokeColor=AXIS_COLOR, strokeWidth=0.5, strokeDashArray=(2, 2))
    )
    running = 0.0
    for index, step in enumerate(rows):
        y = top - ROW * (index + 1) + 3
        start = 0.0 if step is total else running
        face = bold_font if step.bold else font
        drawing.add(String(4, y + 2, step.label, fontName=face, fontSize=FONT_SIZE, fillColor=INK))
        # The mix part on the row's upper half, the rate part on its lower half from where
        # the mix ended: parts of opposite signs never hide each other.
        half = (ROW - 4) / 2
        for begin, size, color, bottom in (
            (start, step.mix, MIX_COLOR, y + half),
            (start + step.mix, step.rate, RATE_COLOR, y),
        ):
            if size:
                a, b = sorted((x(begin), x(begin + size)))
                drawing.add(
                    Rect(a, bottom, max(b - a, 0.6), half, fillColor=color, strokeColor=None)
                )
        value = shown(step.mix + step.rate)
        drawing.add(
            String(
                width - 2,
                y + 2,
                value,
                fontName=face,
                fontSize=FONT_SIZE,
                fillColor=INK,
                textAnchor="end",
            )
        )
        if step is not total:
            running = start + step.mix + step.rate
    for offset, (label, color) in enumerate(zip(legend, (MIX_COLOR, RATE_COLOR), strict=True)):
        x0 = left + offset * (right - left) / 2
        drawing.add(Rect(x0, height - 10, 7, 7, fillColor=color, strokeColor=None))
        drawing.add(
            String(
                x0 + 11, height - 9, label, fontName=font, fontSize=FONT_SIZE, fillColor=LABEL_COLOR
            )
        )
    return drawing
