"""The report's charts as a reader sees them: the score distribution's axis labels read on any
score scale (no two overlap), measured by poppler's word boxes on the rendered chart."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.graphics import renderPDF
from reportlab.lib import colors

from aiops_report.data.mapping import ScoreScale
from aiops_report.report.charts import BOTTOM, Series, histogram
from aiops_report.report.document import CHART_HEIGHT, CHART_WIDTH
from aiops_report.report.fonts import report_fonts

WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
SCALES = [(0, 10), (0, 100), (1, 5), (0, 1), (0, 20), (-1, 1), (0, 1000), (0.5, 4.5)]


def axis_labels(low: float, high: float, tmp_path: Path) -> list[tuple[float, float, str]]:
    """The category labels of the report's score chart on `low`–`high`, as drawn: (x0, x1,
    text), left to right."""
    edges = ScoreScale(low=low, high=high).bucket_edges()
    buckets = list(itertools.pairwise(edges))
    series = [
        Series("이번 주", [40 + 30 * i for i in range(len(buckets))], colors.blue),
        Series("지난주", [35 + 25 * i for i in range(len(buckets))], colors.grey),
    ]
    drawing = histogram(
        buckets, series, width=CHART_WIDTH, height=CHART_HEIGHT, font=report_fonts().regular
    )
    pdf = tmp_path / "chart.pdf"
    renderPDF.drawToFile(drawing, str(pdf))
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    axis = CHART_HEIGHT - BOTTOM  # from the top: the value labels sit on it, the categories below
    return sorted(
        (float(x0), float(x1), word)
        for x0, y0, x1, _, word in WORD.findall(html)
        if float(y0) > axis
    )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize(("low", "high"), SCALES, ids=[f"{lo}-{hi}" for lo, hi in SCALES])
def test_the_score_axis_labels_never_overlap(tmp_path: Path, low: float, high: float) -> None:
    labels = axis_labels(low, high, tmp_path)

    edges = ScoreScale(low=low, high=high).bucket_edges()
    ranges = [f"{a:g}–{b:g}" for a, b in itertools.pairwise(edges)]
    assert [text for _, _, text in labels] in (ranges, [f"{a:g}" for a in edges[:-1]])
    for left, right in itertools.pairwise(labels):
        assert left[1] < right[0], f"{left[2]!r} overlaps {right[2]!r}"


def test_the_ranges_are_shown_where_they_fit(tmp_path: Path) -> None:
    assert [text for _, _, text in axis_labels(0, 10, tmp_path)][:2] == ["0–1", "1–2"]
    assert [text for _, _, text in axis_labels(0, 100, tmp_path)][:2] == ["0", "10"]
