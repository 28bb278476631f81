"""Complaint themes: Korean nouns and English words, stop words out, once per text."""

from __future__ import annotations

import pytest

from aiops_report.analysis.themes import Analysed, Theme, terms_of, top_themes


def analysed(texts: list[str]) -> list[Analysed]:
    return list(zip(texts, terms_of(texts), strict=True))


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
    assert {"상담원", "연결", "되지 않음", "gpt"} <= mixed and "o" not in mixed
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
    ("comment", "terms"),
    [
        ("결제가 안 돼요", {"결제", "되지 않음"}),
        ("결제가 안돼요", {"결제", "되지 않음"}),
        ("결제되지 않아요", {"결제", "되지 않음"}),  # the long negation gives the same term
        ("로그인이 되지는 않네요", {"로그인", "되지 않음"}),
        ("검색 결과가 안 나와요", {"검색", "결과", "나오지 않음"}),
        ("주문 내역을 못 찾아요", {"주문", "내역", "찾지 못함"}),
        ("환불을 받지 못했어요", {"환불", "받지 못함"}),
        ("말을 못 알아듣네요", {"알아듣지 못함"}),
        ("안 좋아요", {"좋지 않음"}),
        ("답변이 정확하지 않아요", {"정확하지 않음"}),
        ("답변이 안 정확해요", {"정확하지 않음"}),
        ("상담원이 친절하지 않았어요", {"상담원", "친절하지 않음"}),
        ("정상적이지 않은 응답", {"정상적이지 않음", "응답"}),
        ("작동 안 해요", {"작동", "하지 않음"}),  # a verb's noun is what the text is about
        ("작동하지 않아요", {"작동", "하지 않음"}),
    ],
)
def test_a_negated_verb_or_adjective_is_a_term(comment: str, terms: set[str]) -> None:
    assert terms_of([comment]) == [terms]


@pytest.mark.parametrize(
    ("comment", "terms"),
    [
        ("It doesn't work", {"not work"}),
        ("It doesn’t work", {"not work"}),
        ("doesnt work", {"not work"}),
        ("The app is NOT working", {"app", "not working"}),
        ("I can't find my order", {"not find", "order"}),
        ("It isn't accurate", {"not accurate"}),
        ("not very helpful", {"not helpful"}),  # the stop words in between are skipped
        ("not, helpful", {"helpful"}),  # punctuation ends the negation
        ("No response from the bot", {"response", "bot"}),  # what is missing is the term
    ],
)
def test_a_negated_english_word_is_a_term(comment: str, terms: set[str]) -> None:
    assert terms_of([comment]) == [terms]


@pytest.mark.parametrize(
    ("comment", "term"),
    [
        ("정확한 답변 감사합니다", "정확"),
        ("친절한 상담원", "친절"),
        ("정상적인 응답", "정상"),
        ("답변이 미흡해요", "미흡"),  # Kiwi keeps 미흡 (insufficient) whole
        ("원하는 정보가 없어요", "정보"),  # 없다 is left alone: what is missing is the term
    ],
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

    themes = top_themes(analysed(current), analysed(previous), limit=3, examples=2)

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
    english = {t.term: t.count for t in top_themes(analysed(current), analysed(previous))}
    assert english["refund"] == 2 and english["policy"] == 2


def test_no_texts_no_themes() -> None:
    assert top_themes([], analysed(["환불 규정"])) == []
