"""The PDF as a reader gets it: its text, its fonts, its pages, its files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image
from report_numbers import PERIOD, ZONE, empty_week, excerpt, minimal_week, week
from reportlab.pdfbase.ttfonts import TTFont

from aiops_report.metrics import ReportNumbers
from aiops_report.report import font_status, write_report
from aiops_report.report.summary import shown_metrics
from aiops_report.texts import (
    TEXTS,
    Language,
    format_change,
    format_generated,
    format_time,
    format_value,
    period_label,
)

GENERATED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)
LANGUAGES: list[Language] = ["ko", "en"]


def build(numbers: ReportNumbers, folder: Path, language: Language = "ko") -> Path:
    return write_report(numbers, folder, language=language, generated_at=GENERATED_AT)


def pages_text(pdf: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(pdf).pages]


def font_dictionaries(pdf: Path) -> list[Any]:
    """Every font dictionary the pages use, descendants of composite fonts included."""
    found = []
    for page in pypdf.PdfReader(pdf).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            found.append(font)
            found += [d.get_object() for d in font.get("/DescendantFonts", [])]
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_text_holds_the_title_period_and_every_kpi_as_formatted(
    tmp_path: Path, language: Language
) -> None:
    numbers = week()
    texts = TEXTS[language]
    pages = pages_text(build(numbers, tmp_path, language))
    text = "\n".join(pages)

    assert texts.title in pages[0]
    assert period_label(PERIOD, texts) in pages[0]
    for name in shown_metrics(numbers):
        assert texts.metrics[name] in text
        assert format_value(name, getattr(numbers.current, name)) in text
        assert format_value(name, getattr(numbers.previous, name)) in text
        assert format_change(name, numbers.change[name], texts) in text
    assert "62.4%" in text and "2,034" in text and "6.86" in text
    for number, page in enumerate(pages, start=1):
        assert texts.page.format(page=number, total=len(pages)) in page
        assert texts.generated.format(time=format_generated(GENERATED_AT)) in page
    assert format_time(numbers.lowest_scored[0].created_at, ZONE, texts) in text


def test_the_json_next_to_the_pdf_holds_the_numbers(tmp_path: Path) -> None:
    numbers = week()
    pdf = build(numbers, tmp_path)

    assert pdf == tmp_path / "weekly_report_2026_11_23.pdf"
    document = (tmp_path / "weekly_report_2026_11_23.json").read_text("utf-8")
    assert document == json.dumps(numbers.to_dict(), ensure_ascii=False, indent=2)
    assert json.loads(document)["worst_conversations"]["lowest_scored"][0]["comment"] == (
        "답변이 너무 길어요"
    )


def test_every_font_is_embedded_nanumgothic(tmp_path: Path) -> None:
    fonts = font_dictionaries(build(week(), tmp_path))

    assert fonts
    for font in fonts:
        assert "NanumGothic" in str(font["/BaseFont"])
        if font["/Subtype"] != "/Type0":
            assert "/FontFile2" in font["/FontDescriptor"].get_object()


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdffonts_reports_every_font_embedded(tmp_path: Path) -> None:
    listing = subprocess.run(
        ["pdffonts", str(build(week(), tmp_path))], capture_output=True, text=True, check=True
    ).stdout
    rows = listing.splitlines()[2:]
    assert rows
    for row in rows:
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row


HOSTILE = {
    "markup": "<script>alert(\"x\")</script> & <b>bold</b> <para> </font> 'quoted' &amp;",
    "emoji": "환불이 안 돼요 👍🔥😡 ✓ 👨‍👩‍👧",
    "long": "가나다라마바사 " * 1500,
    "unbroken": "A" * 10_000,
    "control": "줄바꿈\n탭\t널\x00벨\x07 캐리지\r 끝\x1b[31m",
}


def everywhere(text: str) -> ReportNumbers:
    """A week whose ten worst conversations have `text` in every text field."""
    fields = ("user_message", "ai_response", "comment", "reason", "model", "feedback")
    row = excerpt(**dict.fromkeys(fields, text))
    return week(lowest_scored=[row] * 6, disliked=[row] * 4)


@pytest.mark.parametrize("kind", HOSTILE)
def test_conversation_text_is_data_and_keeps_the_layout(tmp_path: Path, kind: str) -> None:
    # Full-width Hangul, cut at each field's limit, makes the tallest rows plain text can.
    longest = pypdf.PdfReader(build(everywhere("가나다라마바사 " * 500), tmp_path / "longest"))
    reader = pypdf.PdfReader(build(everywhere(HOSTILE[kind]), tmp_path / "hostile"))

    assert 1 <= len(reader.pages) <= len(longest.pages)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "\ufffd" not in text
    if kind == "markup":
        assert '<script>alert("x")</script> & <b>bold</b>' in text  # shown, not interpreted
    if kind == "emoji":
        assert "환불이 안 돼요" in text
        assert not any(ch in text for ch in "👍🔥😡✓")


def test_every_character_drawn_has_a_glyph_in_the_font(tmp_path: Path) -> None:
    status = font_status()
    regular, bold = TTFont("check", str(status.path)), TTFont("check-b", str(status.bold_path))
    glyphs = set(regular.face.charToGlyph) & set(bold.face.charToGlyph)
    weird = excerpt(user_message=HOSTILE["emoji"], ai_response=HOSTILE["control"] + "𝔘𝔫𝔦 ☃ ⚡")
    pdf = build(week(lowest_scored=[weird], disliked=[weird]), tmp_path)

    text = "".join(pages_text(pdf))
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in glyphs}
    assert missing == set()


def test_an_empty_week_says_so_in_a_short_report(tmp_path: Path) -> None:
    texts = TEXTS["ko"]
    pdf = build(empty_week(), tmp_path)
    reader = pypdf.PdfReader(pdf)
    text = reader.pages[0].extract_text()

    assert len(reader.pages) == 1
    assert texts.title in text
    assert texts.empty_heading in text
    assert texts.empty_previous.format(conversations="1,974") in text
    for absent in (texts.kpi_heading, texts.daily_heading, texts.chart_distribution):
        assert absent not in text


def test_the_minimal_schema_shows_only_what_exists(tmp_path: Path) -> None:
    texts = TEXTS["en"]
    numbers = minimal_week()
    text = "\n".join(pages_text(build(numbers, tmp_path, "en")))

    for present in ("Conversations", "Satisfaction rate", "Average score", texts.disliked_heading):
        assert present in text
    for absent in (
        "Unique users",
        "Latency",
        "Total tokens",
        texts.chart_score,
        texts.chart_distribution,
        texts.lowest_heading,
        "Model",
        "Comment",
    ):
        assert absent not in text
    assert format_time(numbers.disliked[0].created_at, ZONE, texts) in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize(
    "numbers", [week(), empty_week(), minimal_week()], ids=["week", "empty", "minimal"]
)
def test_the_first_page_renders_to_a_picture_that_is_not_blank(
    tmp_path: Path, numbers: ReportNumbers
) -> None:
    pdf = build(numbers, tmp_path)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    with Image.open(next(tmp_path.glob("page*.png"))) as image:
        picture = image.convert("RGB")
    pixels = list(picture.get_flattened_data())

    inked = sum(1 for pixel in pixels if pixel != (255, 255, 255))
    assert inked / len(pixels) > 0.03
    assert len(set(pixels)) > 20
    header = picture.getpixel((picture.width // 2, 40))
    assert isinstance(header, tuple) and max(header) < 100  # the dark title band


def test_writing_is_atomic_and_a_second_write_replaces_the_first(tmp_path: Path) -> None:
    pdf = build(week(), tmp_path, "ko")
    first = pdf.read_bytes()
    again = build(week(), tmp_path, "en")

    assert again == pdf
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "weekly_report_2026_11_23.json",
        "weekly_report_2026_11_23.pdf",
    ]
    assert pdf.read_bytes() != first
    assert TEXTS["en"].title in pages_text(pdf)[0]


def test_the_files_get_the_usual_permissions(tmp_path: Path) -> None:
    pdf = build(week(), tmp_path / "reports")
    usual = tmp_path / "usual"
    usual.touch()

    assert pdf.parent.is_dir()
    for written in (pdf, pdf.with_suffix(".json")):
        assert os.stat(written).st_mode == os.stat(usual).st_mode
