"""The PDF as a reader gets it: its text, its fonts, its pages, its files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image
from report_numbers import (
    CHANGES,
    PERIOD,
    SHORT_HISTORY,
    WEEK_TO_DATE,
    ZONE,
    disagreement,
    empty_week,
    excerpt,
    first_week,
    insights,
    minimal_insights,
    minimal_week,
    model,
    week,
    week_to_date,
)
from reportlab.pdfbase.ttfonts import TTFont

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.analysis.significance import ChangeTest
from aiops_report.analysis.themes import Theme
from aiops_report.errors import ReportNotWritten
from aiops_report.language import Language
from aiops_report.report import font_status, write_report
from aiops_report.report.summary import shown_metrics
from aiops_report.texts.formats import (
    format_change,
    format_generated,
    format_interval,
    format_short_day,
    format_time,
    format_value,
    partial_note,
    period_label,
)
from aiops_report.texts.report import TEXTS

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


def hostile_excerpts(text: str) -> ReportNumbers:
    """A week whose ten worst conversations have `text` in every text field."""
    fields = ("user_message", "ai_response", "comment", "reason", "model", "feedback")
    row = excerpt(**dict.fromkeys(fields, text))
    return week(lowest_scored=[row] * 6, disliked=[row] * 4)


def hostile_insights(text: str) -> ReportNumbers:
    """A week whose insights have `text` in every text they show."""
    full = insights()
    assert full.agreement is not None
    fields = ("comment", "model", "user_message", "ai_response", "feedback")
    return week(
        insights=insights(
            by_model=[model(text, 900, 100, 200), model("gpt-4o-mini", 1000, 300, 50)],
            unpriced_models=[text],
            agreement=replace(
                full.agreement, disagreements=[disagreement(**dict.fromkeys(fields, text))] * 3
            ),
            themes=[Theme(text, 5, 1, [text])] * 5,
        )
    )


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(
    "hostile_week", [hostile_excerpts, hostile_insights], ids=["excerpts", "insights"]
)
def test_texts_from_the_tables_are_data_and_keep_the_layout(
    tmp_path: Path, hostile_week: Callable[[str], ReportNumbers], kind: str
) -> None:
    # Full-width Hangul, cut at each field's limit, makes the tallest rows plain text can.
    longest = pypdf.PdfReader(build(hostile_week("가나다라마바사 " * 500), tmp_path / "longest"))
    reader = pypdf.PdfReader(build(hostile_week(HOSTILE[kind]), tmp_path / "hostile"))

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


@pytest.mark.parametrize("where", ["under a file", "in /proc", "read-only"])
def test_a_folder_that_cannot_hold_the_report_is_one_line_naming_it(
    tmp_path: Path, where: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    folder = {
        "under a file": tmp_path / "a-file" / "reports",
        "in /proc": Path("/proc/aiops-reports"),
        "read-only": Path("/sys/fs"),  # sysfs refuses new files, even to root
    }[where]

    with pytest.raises(ReportNotWritten) as raised:
        build(week(), folder)

    message = str(raised.value)
    assert message.startswith(f"cannot write the report in {folder}: ")
    assert len(message.splitlines()) == 1


def test_a_full_disk_leaves_no_json_without_its_pdf(tmp_path: Path) -> None:
    """The JSON fits and the PDF does not (a file size limit stands in for a full disk):
    neither is left behind, nor any temporary file."""
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from datetime import datetime
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from report_numbers import week
        from aiops_report.errors import ReportNotWritten
        from aiops_report.report import write_report
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails: EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, resource.RLIM_INFINITY))
        try:
            write_report(week(), Path(sys.argv[1]), language="ko", generated_at=datetime.now())
        except ReportNotWritten as exc:
            print(exc)
        """
    )
    folder = tmp_path / "reports"
    folder.mkdir()

    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == f"cannot write the report in {folder}: File too large"
    assert list(folder.iterdir()) == []
    assert len(build(week(), tmp_path / "sizes").with_suffix(".json").read_bytes()) < 40_000


# --- insights -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_insights_section_follows_the_kpis_with_every_part(
    tmp_path: Path, language: Language
) -> None:
    texts = TEXTS[language]
    words = texts.insights
    text = "\n".join(pages_text(build(week(insights=insights()), tmp_path, language)))

    assert (
        text.index(texts.kpi_heading)
        < text.index(words.heading)
        < text.index(words.changes_heading)
        < text.index(words.models_heading)
        < text.index(words.anomalies_heading)
        < text.index(words.agreement_heading)
        < text.index(words.themes_heading)
        < text.index(texts.daily_heading)
    )
    # Is it real? A verdict per change, with its interval and p-value.
    for verdict in words.verdicts.values():
        assert text.count(verdict) == 1
    assert format_interval("satisfaction_rate", -0.1562, -0.0511, texts) in text
    assert "p < 0.001" in text and "p = 0.012" in text and "p = 0.35" in text
    # By model: the worst of those with enough ratings, cost where priced, the unpriced named.
    for name in ("gpt-4o-mini", "gpt-4.1-nano", "tiny-experiment", "(unknown)"):
        assert name in text
    assert words.worst_model.format(model="gpt-4.1-nano", rate="41.0%", rated="305") in text
    assert words.unpriced.format(models="(unknown), tiny-experiment") in text
    assert words.models_columns[6].format(currency="USD") in text
    assert "0.9900" in text and "0.0035" in text
    # Anomalous days, in date order.
    november_17 = format_short_day(date(2026, 11, 17), texts)
    november_18 = format_short_day(date(2026, 11, 18), texts)
    assert text.index(november_17) < text.index(november_18)
    assert (
        words.anomaly.format(
            day=november_18,
            metric=texts.metrics["conversations"],
            value="761",
            baseline="311",
            z="19.0 ▲",
        )
        in text
    )
    # Thumbs vs evaluator: rate, kappa, counts and three of the four disagreements.
    kappa = f"0.58 ({words.agreement_strengths[2]})"
    assert words.agreement.format(rate="83.0%", kappa=kappa) in text
    assert "450" in text and "132" in text
    assert "상담원 연결이 안 돼요" in text and "환불 안내가 틀렸어요" in text
    assert "네 번째는 보이지 않는 의견" not in text
    # Top complaints with an example.
    assert "환불 규정이 다르게 안내됨" in text and "근거 없는 내용을 단정적으로 안내함" in text


def test_an_anomalous_day_reads_as_one_plain_line() -> None:
    words = TEXTS["ko"].insights
    line = words.anomaly.format(
        day=format_short_day(date(2026, 11, 18), TEXTS["ko"]),
        metric="대화 수",
        value="761",
        baseline="311",
        z="19.0 ▲",
    )
    assert line == "11-18 (수) 대화 수 761 — 같은 요일 기준 311, z = 19.0 ▲"


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_significant_changes_are_called_significant(
    tmp_path: Path, language: Language
) -> None:
    words = TEXTS[language].insights
    called = f", {words.significant})"  # how a highlight marks a significant change
    one_real = "\n".join(pages_text(build(week(insights=insights()), tmp_path / "one", language)))
    # p < 0.05 everywhere, but no test is significant (too little data, say).
    none_real = insights(
        changes={
            name: replace(change, p_value=0.001, significant=False, enough_data=False)
            for name, change in CHANGES.items()
        }
    )
    pdf = build(week(insights=none_real), tmp_path / "none", language)
    nothing = "\n".join(pages_text(pdf))

    assert one_real.count(words.verdicts["significant"]) == 1
    assert one_real.count(called) == 1
    assert words.verdicts["significant"] not in nothing
    assert called not in nothing
    assert nothing.count(words.verdicts["not_enough_data"]) == 3


def test_the_minimal_schema_leaves_out_the_insights_it_cannot_have(tmp_path: Path) -> None:
    words = TEXTS["en"].insights
    no_scores = ChangeTest(None, None, None, None, None, None, None, False, False)
    numbers = replace(
        minimal_week(),
        insights=minimal_insights(changes={**CHANGES, "avg_score": no_scores}, anomalies=[]),
    )
    text = "\n".join(pages_text(build(numbers, tmp_path, "en")))

    for present in (words.heading, words.changes_heading, words.anomalies_heading):
        assert present in text
    assert words.no_anomalies in text
    assert text.count(words.verdicts["not_significant"]) == 1  # conversations
    assert text.count(words.verdicts["significant"]) == 1  # satisfaction
    assert words.verdicts["not_enough_data"] not in text  # no scores, no row
    for absent in (
        words.models_heading,
        words.agreement_heading,
        words.themes_heading,
        "Models without a price",
        "lowest satisfaction",
        "Rising complaint",
    ):
        assert absent not in text


def test_a_report_without_insights_has_no_insights_section(tmp_path: Path) -> None:
    text = "\n".join(pages_text(build(week(), tmp_path, "en")))
    assert TEXTS["en"].insights.heading not in text


# --- a week to date, a first week, a short history ----------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_week_to_date_says_so_and_is_filed_apart(tmp_path: Path, language: Language) -> None:
    texts = TEXTS[language]
    numbers = week_to_date(insights=insights(anomalies_status=None))
    pdf = build(numbers, tmp_path, language)
    pages = pages_text(pdf)
    first = pages[0]

    assert pdf.name == "weekly_report_2026_11_23_partial.pdf"  # never the week's own report
    assert f"{texts.title} ({texts.partial_mark})" in first
    assert period_label(WEEK_TO_DATE, texts) in first
    assert "2026-11-19" in period_label(WEEK_TO_DATE, texts) and "15:30" in first
    assert partial_note(WEEK_TO_DATE, texts) in " ".join(first.split("\n"))
    assert "11-12" in partial_note(WEEK_TO_DATE, texts)  # the same span of the week before
    for column in texts.kpi_columns_partial:
        assert column in first
    text = " ".join("\n".join(pages).split("\n"))
    assert texts.insights.changes_tested_partial in text
    for page in pages:
        assert texts.partial_mark in page  # in the footer of every page
    document = json.loads(pdf.with_suffix(".json").read_text("utf-8"))
    assert document["period"]["partial"] is True
    assert document["period"]["through"] == "2026-11-19T15:30:00+09:00"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_restated_week_says_so_and_is_filed_apart(tmp_path: Path, language: Language) -> None:
    texts = TEXTS[language]
    pdf = write_report(
        week(), tmp_path, language=language, generated_at=GENERATED_AT, restated=True
    )
    pages = pages_text(pdf)

    assert pdf.name == "weekly_report_2026_11_23_restated.pdf"  # beside the delivered one
    assert f"{texts.title} ({texts.restated_mark})" in pages[0]
    note = texts.restated_note.format(generated=format_generated(GENERATED_AT))
    assert note in " ".join(pages[0].split("\n"))
    for page in pages:
        assert texts.restated_mark in page  # in the footer of every page
    plain = "\n".join(pages_text(build(week(), tmp_path / "plain", language)))
    assert texts.restated_mark not in plain


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_a_week_to_date_renders_its_notice_under_the_title(tmp_path: Path) -> None:
    pdf = build(week_to_date(insights=insights()), tmp_path, "en")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    with Image.open(next(tmp_path.glob("page*.png"))) as image:
        picture = image.convert("RGB")

    # Below the dark title band, the notice's warm tint, as in an empty week's notice.
    column = [picture.getpixel((picture.width // 2, y)) for y in range(40, 200)]
    assert (255, 246, 229) in column


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_first_week_is_new_not_growth(tmp_path: Path, language: Language) -> None:
    texts = TEXTS[language]
    numbers = first_week()
    text = "\n".join(pages_text(build(numbers, tmp_path, language)))

    # The KPI row: metric, this week, last week, change (a cell a line).
    assert f"{texts.metrics['likes']}\n411\n0\n{texts.new}\n" in text
    assert "+2,034" not in text and "+411" not in text  # no growth from nothing
    one_line = " ".join(text.split("\n"))
    metrics = ", ".join(texts.metrics[name] for name in ("conversations", "unique_users"))
    assert texts.highlight_new.split("{metrics}")[0] + metrics in one_line


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_short_history_is_said_instead_of_no_unusual_day(
    tmp_path: Path, language: Language
) -> None:
    words = TEXTS[language].insights
    numbers = week(insights=insights(anomalies=[], anomalies_status=SHORT_HISTORY))
    text = " ".join("\n".join(pages_text(build(numbers, tmp_path, language))).split("\n"))

    assert words.not_enough_history.format(have=2, needed=6) in text
    assert words.no_anomalies not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_anomalies_found_on_the_days_with_history_read_as_theirs(
    tmp_path: Path, language: Language
) -> None:
    """Some days judged, some not: which were judged, then their anomalies; not "too short to
    tell" above them."""
    words = TEXTS[language].insights
    status = replace(SHORT_HISTORY, days_with_history=4)
    numbers = week(insights=insights(anomalies_status=status))
    assert numbers.insights is not None and numbers.insights.anomalies
    text = " ".join("\n".join(pages_text(build(numbers, tmp_path, language))).split("\n"))

    assert words.partly_judged.format(judged=4, days=7, needed=6) in text
    assert words.not_enough_history.format(have=2, needed=6) not in text
    assert words.no_anomalies not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_excerpt_table_says_whose_time_it_shows(tmp_path: Path, language: Language) -> None:
    """The lowest-scored list shows when the evaluation was written, the disliked list when the
    dislike was given: neither reads as the conversation's time."""
    texts = TEXTS[language]
    text = "\n".join(pages_text(build(week(), tmp_path, language)))

    lowest = text.index(texts.lowest_heading)
    disliked = text.index(texts.disliked_heading)
    assert text.index(texts.scored_at, lowest) < disliked
    assert texts.rated_at in text[disliked:]
