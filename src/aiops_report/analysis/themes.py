"""Complaint themes: the terms that recur in dislike comments and evaluator reasons.

Texts are tokenised with Kiwi (kiwipiepy, a Korean morphological analyser whose model ships
in the kiwipiepy_model wheel, so nothing is downloaded at run time). A term is a common or
proper noun (NNG, NNP), or a Latin-script word (SL) lower-cased, of at least two letters;
the stop words below are removed; a term counts once per text.

Negation stays with what it negates, so that a complaint is never counted under the word it
denies:

- A negative prefix (부, 불, 비, 미, 무, tagged XPN) is joined to the noun or root it precedes:
  '답변이 부정확해요' gives 부정확, not 정확; likewise 불친절, 불가능, 비정상, 미응답, 부적절.
- A negated verb or adjective is a term: its stem followed by '지 않음' when 안 comes before it
  or 않다 after it, by '지 못함' for 못 or 못하다. Short and long negation give the same term:
  '결제가 안 돼요' and '결제되지 않아요' both give 결제 and 되지 않음; '못 찾아요' gives
  찾지 못함. Verbs and adjectives are no terms otherwise.
- An adjective made from a noun (정확하다, 친절하다, 정상적이다) counts as that noun, unless it
  is negated: then it is only the negated term, so '답변이 정확하지 않아요' gives 정확하지 않음
  and not 정확. A verb made from a noun (작동하다, 결제되다) keeps its noun, which is what the
  text is about: '작동 안 해요' gives 작동 and 하지 않음.
- In English, not, never, cannot and a contraction in n't join the next word that is no stop
  word, which then counts only so: 'It doesn't work' gives 'not work', 'not very helpful'
  gives 'not helpful', 'The app is not working' gives app and 'not working'.

없다, 아니다 and no are left alone: the noun after no or before the others stays a term
('정보가 없어요' gives 정보, 'no response' gives response).
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token

# kiwipiepy comes with the extra [themes] and is imported when the first text is analysed:
# without it, this module still gives the Theme type, and the report leaves the themes out
# (insights.py asks `extras.installed("themes")`).

# The version of the rules below: raise it when a text's terms change, so that the terms kept
# of settled days (theme_reads.py) are analysed again.
TERMS_FORMAT = 1
NOUN_TAGS = frozenset({"NNG", "NNP"})
NEGATIVE_PREFIXES = frozenset({"부", "불", "비", "미", "무"})
# What negates a predicate (the adverbs 안 and 못 before it, the auxiliaries 않다 and 못하다
# after its -지, or 못 하다 there), and how the term of the negated predicate ends.
NEGATORS = {
    ("MAG", "안"): "않음",
    ("VX", "않"): "않음",
    ("MAG", "못"): "못함",
    ("VX", "못하"): "못함",
}
# The English words that negate the next one (as does a word in n't: doesn't, can't), with
# the contractions people type without their apostrophe.
ENGLISH_NEGATION_WORDS = "not never cannot dont doesnt didnt isnt arent wasnt werent cant wont"
ENGLISH_NEGATORS = frozenset(ENGLISH_NEGATION_WORDS.split())
# Nouns and words that say nothing about what went wrong, separated by spaces: Korean bound
# and generic nouns, the words every chatbot complaint uses, and English function words.
KOREAN_STOP_WORDS = (
    "것 수 등 때 거 점 중 좀 정도 경우 부분 내용 답변 질문 안내 문제 말 분 저 제 뭐 이거 그거"
)
ENGLISH_STOP_WORDS = """
    a an the and or but if then than so as of to in on at by for with from about into
    is are was were be been being am do does did done have has had having it its this that
    these those there here i me my we our you your he she they them their not no nor
    can could would should will just very really too also what which who whom how when where
    why answer answers question questions
    don doesn didn isn aren wasn weren haven hasn hadn won wouldn couldn shouldn
"""
STOP_WORDS = (
    frozenset(KOREAN_STOP_WORDS.split()) | frozenset(ENGLISH_STOP_WORDS.split()) | ENGLISH_NEGATORS
)


Analysed = tuple[str, Collection[str]]  # a text and its terms


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
    # Nouns of short complaints need neither the typo dictionary, nor the multi-word one, nor
    # the default one (proper nouns from Wikipedia and Namuwiki): without them the analyser
    # takes 260 MB instead of 520 MB (its language model alone is about 210 MB).
    from kiwipiepy import Kiwi

    return Kiwi(load_typo_dict=False, load_multi_dict=False, load_default_dict=False)


def analysis_version() -> str:
    """What a text's terms depend on besides the text: these rules and the analyser's version
    (read from its metadata: the analyser is not imported)."""
    return f"terms v{TERMS_FORMAT} kiwipiepy {importlib.metadata.version('kiwipiepy')}"


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


@dataclass
class _Word:
    """A noun, a predicate (the stem of a verb or adjective) or another morpheme of a text."""

    kind: str  # "noun", "predicate", or the Kiwi tag of another morpheme
    form: str  # the noun, the predicate's stem (되, 찾, 정확하), or the morpheme
    noun: str = ""  # the noun a predicate is made from (정확하다: 정확), when it is a term
    adjective: bool = False  # the predicate says what its noun is (정확하다, 정상적이다)
    negation: str = ""  # negated: "않음" or "못함" for a predicate, "not" for an English word


def _tag(tokens: Sequence[Token], i: int) -> str:
    """The tag of the `i`th token without its conjugation mark (VV-R, VV-I: VV); "" past the
    end."""
    return str(tokens[i].tag).split("-")[0] if i < len(tokens) else ""


def _words(tokens: Sequence[Token]) -> list[_Word]:
    """The morphemes of a text, a noun joined to its negative prefix, and a predicate to the
    noun it is made from and to its auxiliaries."""
    words = []
    i = 0
    while i < len(tokens):
        form = tokens[i].form
        # A negative prefix joins the noun or root after it: 부+정확, 불+친절, 부+적절.
        if (
            _tag(tokens, i) == "XPN"
            and form in NEGATIVE_PREFIXES
            and _tag(tokens, i + 1) in NOUN_TAGS | {"XR"}
        ):
            i += 1
            form += tokens[i].form
            kind = "noun"
        else:
            kind = "noun" if _tag(tokens, i) in NOUN_TAGS else _tag(tokens, i)
        noun = form if kind == "noun" else ""  # a root (XR) alone is no term
        # An adjective made from a noun or root: 정확+하, 만족+스럽, 정상+적+이.
        suffix = i + 2 if _tag(tokens, i + 1) == "XSN" else i + 1
        if kind in {"noun", "XR"} and _tag(tokens, suffix) in {"XSA", "VCP"}:
            stem = form + "".join(token.form for token in tokens[i + 1 : suffix + 1])
            words.append(_Word("predicate", stem, noun, adjective=True))
            i = suffix
        # A verb made from a noun: 작동+하, 연결+되.
        elif kind in {"noun", "XR"} and _tag(tokens, i + 1) == "XSV":
            i += 1
            words.append(_Word("predicate", tokens[i].form, noun))
        elif kind in {"VV", "VA"}:
            words.append(_Word("predicate", form))
        else:
            words.append(_Word(kind, form))
        i += 1
        if words[-1].kind == "predicate":
            # Auxiliaries are part of the predicate: 알리+어+주 (알려주다) is 알리.
            while _tag(tokens, i) == "EC" and tokens[i].form in {"어", "아"}:
                if _tag(tokens, i + 1) != "VX":
                    break
                i += 2
    return words


def _negate(words: list[_Word]) -> None:
    """Mark the predicates negated by 안 or 못 before them, or by -지 않다 or -지 못하다 after
    them, and the English words negated by a word before them."""
    for k, word in enumerate(words):
        if word.kind == "SL" and _negates(words, k):
            for following in words[k + 1 :]:
                if following.kind != "SL":  # punctuation, Korean: the negation ends there
                    break
                if following.form.lower() not in STOP_WORDS:  # not very helpful: helpful
                    following.negation = "not"
                    break
            continue
        negation = NEGATORS.get((word.kind, word.form))
        if negation is None:
            continue
        before = k - 1
        while before >= 0 and words[before].kind == "JX":  # 되지는 않아요
            before -= 1
        if before >= 1 and (words[before].kind, words[before].form) == ("EC", "지"):
            if words[before - 1].kind == "predicate":
                words[before - 1].negation = negation  # 되지 않아요, 받지 못했어요
        elif word.kind == "MAG" and k + 1 < len(words) and words[k + 1].kind == "predicate":
            words[k + 1].negation = negation  # 안 돼요, 못 찾아요


def _negates(words: list[_Word], k: int) -> bool:
    """Whether the `k`th word, a Latin-script one, is an English negation (not, doesn't)."""
    form = words[k].form.lower()
    if form in ENGLISH_NEGATORS:
        return True
    # Kiwi splits doesn't into doesn, the apostrophe and t.
    return (
        form == "t"
        and k >= 2
        and words[k - 1].form in {"'", "’"}
        and words[k - 2].kind == "SL"
        and words[k - 2].form.lower().endswith("n")
    )


def _terms(tokens: Sequence[Token]) -> set[str]:
    """The terms of one analysed text."""
    words = _words(tokens)
    _negate(words)
    terms = set()
    for word in words:
        if word.kind == "SL":
            term = word.form.lower()
            if len(term) < 2:
                continue
            if word.negation:
                term = f"not {term}"
        elif word.kind == "noun":
            term = word.form
        elif word.kind == "predicate":
            if word.negation:
                terms.add(f"{word.form}지 {word.negation}")
            # A negated adjective denies its noun (정확하지 않아요); a verb's noun stays what
            # the text is about (결제되지 않아요: 결제).
            if not word.noun or (word.negation and word.adjective):
                continue
            term = word.noun
        else:
            continue
        if term not in STOP_WORDS:
            terms.add(term)
    return terms


def top_themes(
    current: Sequence[Analysed], previous: Sequence[Analysed], *, limit: int = 10, examples: int = 3
) -> list[Theme]:
    """The `limit` terms found in most `current` texts (ties: the larger rise since the
    previous period first, then alphabetical order).

    Each text comes with its terms (`terms_of`); `examples` are the first distinct texts (in
    the given order) holding the term.
    """
    counts = Counter(term for _, found in current for term in found)
    previous_counts = Counter(term for _, found in previous for term in found)
    top = sorted(counts.items(), key=lambda item: (-item[1], previous_counts[item[0]], item[0]))[
        :limit
    ]
    themes = []
    for term, count in top:
        holding = [text for text, found in current if term in found]
        themes.append(
            Theme(term, count, previous_counts[term], list(dict.fromkeys(holding))[:examples])
        )
    return themes
