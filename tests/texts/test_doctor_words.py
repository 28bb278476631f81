"""`doctor`'s words: every key in Korean and English with the same placeholders, and a finding
read in either language, its phrases and lists in the same language."""

from __future__ import annotations

from string import Formatter

import pytest

from aiops_report.texts.doctor import DOCTOR_WORDS, Finding, Listed, Phrase, error_finding

KEYS = sorted(DOCTOR_WORDS["ko"].keys() | DOCTOR_WORDS["en"].keys())
SAME_IN_BOTH = {"then", "comma", "error", "destination", "tls", "segment_value", "feedback_value"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", KEYS)
def test_every_key_has_both_languages_with_the_same_placeholders(key: str) -> None:
    korean, english = DOCTOR_WORDS["ko"].get(key), DOCTOR_WORDS["en"].get(key)

    assert korean and english, key
    assert placeholders(korean) == placeholders(english)
    if key not in SAME_IN_BOTH:
        assert korean != english


def test_a_finding_reads_in_either_language_with_its_phrases_and_lists() -> None:
    columns = Listed(("feedback_log.comment", "conversation_evaluation.reason"), "or")
    parts = Listed(
        (
            Phrase("part_available", {"part": "changes"}),
            Phrase("part_left_out", {"part": "themes", "columns": columns}),
        )
    )
    finding = Finding("ok", "insights", {"parts": parts})

    assert finding.line("en") == (
        "insights: changes: available; themes: left out, needs feedback_log.comment or "
        "conversation_evaluation.reason"
    )
    assert finding.line("ko") == (
        "인사이트: changes: 사용 가능; themes: 빠짐, feedback_log.comment 또는 "
        "conversation_evaluation.reason 필요"
    )


def test_an_errors_own_text_is_kept_as_it_is_in_both_languages() -> None:
    finding = error_finding(ValueError("cannot connect to {the database}"))

    assert finding.level == "error"
    assert finding.line("ko") == finding.line("en") == "cannot connect to {the database}"
