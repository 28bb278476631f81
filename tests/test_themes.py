"""Complaint themes: Korean nouns and English words, stop words out, once per text."""

from __future__ import annotations

import pytest

from aiops_report.themes import Theme, terms_of, top_themes


def test_terms_are_nouns_and_lower_cased_latin_words() -> None:
    korean, english, mixed, nothing = terms_of(
        [
            "환불 안내가 틀렸어요",
            "The REFUND answer was wrong and the refund took weeks!",
            "😡 상담원 연결이 안 돼요 <b>GPT-4o</b>",
            "   ",
        ]
    )

    assert korean == {"환불"}  # "안내" (guidance) is in every chatbot complaint: a stop word
    assert english == {"refund", "wrong", "took", "weeks"}  # "answer" and "the" are stop words
    assert {"상담원", "연결", "gpt"} <= mixed and "o" not in mixed
    assert nothing == set()


@pytest.mark.parametrize(
    ("comment", "meant", "denied"),
    [
        ("답변이 부정확해요", "부정확", "정확"),
        ("상담원이 불친절했어요", "불친절", "친절"),
        ("비정상적인 응답", "비정상", "정상"),
        ("처리가 불가능합니다", "불가능", "가능"),
        ("미응답 상태입니다", "미응답", "응답"),
        ("무성의한 답변", "무성의", "성의"),
        ("부적절한 답변", "부적절", "적절"),
    ],
)
def test_a_negative_prefix_stays_with_its_noun(comment: str, meant: str, denied: str) -> None:
    (terms,) = terms_of([comment])

    assert meant in terms and denied not in terms


@pytest.mark.parametrize(
    ("comment", "term"),
    [("정확한 답변 감사합니다", "정확"), ("친절한 상담원", "친절"), ("정상적인 응답", "정상")],
)
def test_a_noun_without_negation_is_itself(comment: str, term: str) -> None:
    (terms,) = terms_of([comment])

    assert term in terms


def test_top_themes_count_each_term_once_per_text() -> None:
    current = [
        "환불 안내가 틀렸어요. 환불 기간이 달라요",
        "환불 기간 안내가 잘못됨",
        "환불이 안 돼요",
        "refund policy was wrong",
        "Refund policy again",
        "환불 안내가 틀렸어요. 환불 기간이 달라요",
    ]  # the repeated text counts again: each comment is one complaint
    previous = ["환불 규정", "상담원 연결이 안 돼요"]

    themes = top_themes(current, previous, limit=3, examples=2)

    assert themes[0] == Theme(
        "환불",
        4,
        1,
        ["환불 안내가 틀렸어요. 환불 기간이 달라요", "환불 기간 안내가 잘못됨"],
    )
    assert [(t.term, t.count, t.previous_count) for t in themes[1:]] == [
        ("기간", 3, 0),
        ("policy", 2, 0),
    ]
    english = {t.term: t.count for t in top_themes(current, previous)}
    assert english["refund"] == 2 and english["policy"] == 2


def test_no_texts_no_themes() -> None:
    assert top_themes([], ["환불 규정"]) == []
