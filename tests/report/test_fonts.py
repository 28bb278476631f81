"""The report's font: found without importing matplotlib, with Hangul, and a glyph filter."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest

from aiops_report.errors import FontMissing
from aiops_report.report import font_status
from aiops_report.report.fonts import font_files, report_fonts
from aiops_report.texts.report import TEXTS


def test_the_font_is_nanumgothic_with_hangul() -> None:
    status = font_status()

    assert status.name == "NanumGothic"
    assert status.covers_hangul
    assert status.path.name == "NanumGothic.ttf" and status.path.is_file()
    assert status.bold_path.name == "NanumGothicBold.ttf" and status.bold_path.is_file()


def test_finding_the_font_does_not_import_matplotlib() -> None:
    code = (
        "import sys; from aiops_report.report import font_status; font_status(); "
        "assert 'matplotlib' not in sys.modules and 'koreanize_matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_font_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "koreanize_matplotlib", None)  # as if not installed

    with pytest.raises(FontMissing, match="pip install koreanize-matplotlib"):
        font_files()


def test_characters_without_a_glyph_are_dropped() -> None:
    fonts = report_fonts()

    assert fonts.keep_drawable("만족도 ▲▼ 👍🔥 ok\t✓…") == "만족도 ▲▼  ok\t…"


def test_every_word_of_the_report_has_glyphs() -> None:
    fonts = report_fonts()
    for language, texts in TEXTS.items():
        for field in fields(texts):
            value = getattr(texts, field.name)
            words = value.values() if isinstance(value, dict) else [value]
            for word in words:
                if isinstance(word, str):
                    assert fonts.keep_drawable(word) == word, (language, field.name)
