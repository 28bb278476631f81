"""Complaint themes: the terms that recur in dislike comments and evaluator reasons.

Texts are tokenised with Kiwi (kiwipiepy, a Korean morphological analyser whose model ships
in the kiwipiepy_model wheel, so nothing is downloaded at run time). A term is a common or
proper noun (NNG, NNP), or a Latin-script word (SL) lower-cased, of at least two letters;
the stop words below are removed; a term counts once per text.

Negation stays with what it negates, so that a complaint is never counted under the word it
denies:

- A negative prefix (부, 불, 비, 미, 무, tagged XPN) is joined to the noun or root it precedes:
  '답변이 부정확해요' gives 부정확, not 정확; likewise 불친절, 불가능, 비정상, 미응답, 부적절.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kiwipiepy import Kiwi, Token

NOUN_TAGS = frozenset({"NNG", "NNP"})
NEGATIVE_PREFIXES = frozenset({"부", "불", "비", "미", "무"})
# Nouns and words that say nothing about what went wrong, separated by spaces: Korean bound
# and generic nouns, the words every chatbot complaint uses, and English function words.
KOREAN_STOP_WORDS = (
    "것 수 등 때 거 점 중 좀 정도 경우 부분 내용 답변 질문 안내 문제 말 분 저 제 뭐 이거 그거"
)
ENGLISH_STOP_WORDS = """
    a an the and or but if then than so as of to in on at by for with from about into
    is are was were be been being am do does did done have has had having it its this that
    these those there here i me my we our you your he she they them their not no nor
    can could would should will just very too also what which who whom how when where why
    answer answers question questions
"""
STOP_WORDS = frozenset(KOREAN_STOP_WORDS.split()) | frozenset(ENGLISH_STOP_WORDS.split())


@dataclass(frozen=True)
class Theme:
    """A term, in how many texts of the period and of the previous one, with examples."""

    term: str
    count: int
    previous_count: int
    examples: list[str]


@functools.cache
def _kiwi() -> Kiwi:
    """The analyser, loaded once (loading its model takes about a second)."""
    # Nouns of short complaints need neither the typo nor the multi-word dictionary: without
    # them the analyser takes 330 MB instead of 520 MB and loads in half the time.
    return Kiwi(load_typo_dict=False, load_multi_dict=False)


def terms_of(texts: Sequence[str]) -> list[set[str]]:
    """The distinct terms of each text (each distinct text is analysed once)."""
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return []  # no need to load the analyser's model (a few hundred MB)
    found = {
        text: _terms(tokens)
        for text, tokens in zip(distinct, _kiwi().tokenize(distinct), strict=True)
    }
    return [found[text] for text in texts]


def _terms(tokens: Sequence[Token]) -> set[str]:
    """The terms of one analysed text."""
    terms = set()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            token.tag == "XPN"
            and token.form in NEGATIVE_PREFIXES
            and following is not None
            and following.tag in NOUN_TAGS | {"XR"}
        ):
            terms.add(token.form + following.form)
            i += 1  # the noun is part of the term
        elif token.tag == "SL":
            term = token.form.lower()
            if len(term) >= 2 and term not in STOP_WORDS:
                terms.add(term)
        elif token.tag in NOUN_TAGS and token.form not in STOP_WORDS:
            terms.add(token.form)
        i += 1
    return terms


def top_themes(
    current: Sequence[str], previous: Sequence[str], *, limit: int = 10, examples: int = 3
) -> list[Theme]:
    """The `limit` terms found in most `current` texts (ties: the larger rise since the
    previous period first, then alphabetical order).

    `examples` are the first distinct texts (in the given order) holding the term.
    """
    current_terms = terms_of(current)
    counts = Counter(term for found in current_terms for term in found)
    previous_counts = Counter(term for found in terms_of(previous) for term in found)
    top = sorted(counts.items(), key=lambda item: (-item[1], previous_counts[item[0]], item[0]))[
        :limit
    ]
    themes = []
    for term, count in top:
        holding = [
            text for text, found in zip(current, current_terms, strict=True) if term in found
        ]
        themes.append(
            Theme(term, count, previous_counts[term], list(dict.fromkeys(holding))[:examples])
        )
    return themes
