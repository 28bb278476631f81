"""The report's font: shipped in the package with its licence, with Hangul, and a glyph
filter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

import aiops_report
from aiops_report.data.config import load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.install import create_schema
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


def test_the_font_ships_in_the_package_with_its_licence() -> None:
    regular, bold = font_files()

    assert regular.parent == bold.parent == Path(aiops_report.__file__).parent / "fonts"
    licence = (regular.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence and "Version 1.1" in licence
    assert "NanumGothic" in licence


def test_a_missing_font_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "NanumGothic.ttf").write_bytes(b"")

    with pytest.raises(FontMissing) as error:
        font_files(tmp_path)

    assert str(error.value) == (
        f"the report font {tmp_path / 'NanumGothicBold.ttf'} is missing: the install is "
        "incomplete, reinstall aiops-report (pip install --force-reinstall aiops-report)"
    )


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


@pytest.mark.parametrize("command", [["doctor"], ["generate"], ["run-weekly"]])
def test_a_truncated_font_is_one_line_naming_the_file(command: list[str], tmp_path: Path) -> None:
    # The package as installed, with its font cut at 5,000 bytes (a broken download or disk).
    package = tmp_path / "site" / "aiops_report"
    shutil.copytree(
        Path(aiops_report.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    font = package / "fonts" / "NanumGothic.ttf"
    font.write_bytes(font.read_bytes()[:5000])
    database = tmp_path / "chatbot.db"
    settings = load_settings(database_url=f"sqlite:///{database}")
    engine = make_engine(settings, create=True)
    create_schema(engine, settings)
    fill_demo_data(engine, settings, weeks=2, per_day=5, now=datetime.now(UTC))
    engine.dispose()

    done = subprocess.run(
        [sys.executable, "-m", "aiops_report", *command],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(package.parent),
            "DATABASE_URL": settings.database_url,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    [line] = [line for line in (done.stdout + done.stderr).splitlines() if "report font" in line]
    assert f"the report font {font} cannot be read (" in line
    assert "damaged or cut short" in line
