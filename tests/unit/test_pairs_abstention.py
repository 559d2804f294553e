"""The question's word pairs (pairs.py) and the two abstention bars (FAQ-backed clauses, clauses of
their own): hand-made inputs, no model."""
from __future__ import annotations

import pytest

from retrieval.abstention import Abstention, OwnBar
from retrieval.pairs import PairCoverage
from retrieval.query import Query

CLAUSES = ["Tiếp tục triển khai tiêm chủng mũi 2 ngay khi được phân bổ vắc xin.",
           "Các cơ sở kinh doanh phải tạm dừng hoạt động, trừ cửa hàng thiết yếu.",
           "Thống nhất sử dụng một ứng dụng công nghệ khai báo y tế."]


def q(text: str) -> Query:
    return Query(text, text, True)


def test_a_phrase_the_clause_does_not_say_is_not_covered_though_its_words_are():
    p = PairCoverage(CLAUSES)
    asked, near = p.coverage(q("tiêm chủng mũi 2"), [[0]])[0], p.coverage(q("tiêm chủng mũi 3"), [[0]])[0]
    assert asked == pytest.approx(1.0) and 0.3 < near < 0.8  # "tiêm chủng", "chủng mũi" yes, "mũi 3" no
    assert p.unknown(q("tiêm chủng mũi 2")) == 0.0 and p.unknown(q("tiêm chủng mũi 3")) > 0.2


def test_diacritics_must_match_a_bare_pair_matches_folded():
    p = PairCoverage(CLAUSES)
    assert p.coverage(q("cửa hàng"), [[1]]) == [1.0]
    assert p.coverage(q("cua hang"), [[1]]) == [1.0]
    assert p.coverage(q("cửa hãng"), [[1]]) == [0.0]  # typed with other marks: another word


def test_faq_questions_lend_their_pairs_and_question_word_pairs_do_not_count():
    without = PairCoverage(CLAUSES)
    with_faq = PairCoverage(CLAUSES, [["bao giờ tiêm mũi hai"], [], []])
    assert without.coverage(q("mũi hai"), [[0]]) == [0.0]
    assert with_faq.coverage(q("mũi hai"), [[0]]) == [1.0] and with_faq.unknown(q("mũi hai")) == 0.0
    # "có được" is two question words: not a pair; one content word alone: no evidence either way
    assert without.coverage(q("có được"), [[2]]) == [1.0] and without.unknown(q("có được")) == 0.0


def test_a_group_pools_the_pairs_of_its_clauses():
    p = PairCoverage(CLAUSES)
    assert p.coverage(q("mũi 2 cửa hàng"), [[0], [0, 1]])[1] > p.coverage(q("mũi 2 cửa hàng"), [[0]])[0]


def test_pairs_raise_and_unknown_pairs_lower_the_margin():
    a = Abstention(coverage_weight=0.0, unknown_weight=0.0, pair_weight=0.1, unknown_pair_weight=0.2,
                   min_confidence=0.9)
    assert a.margin("hybrid", 0.9, 0.0, 0.0, 0.5, 0.0) == pytest.approx(0.05)
    assert a.margin("hybrid", 0.9, 0.0, 0.0, 0.5, 0.5) == pytest.approx(-0.05)
    assert a.on_topic("hybrid", 0.9, 0.0, 0.0, 0.5, 0.0) and not a.on_topic("hybrid", 0.9, 0.0, 0.0, 0.5, 0.5)


def test_a_clause_without_faq_questions_is_held_to_its_own_bar():
    a = Abstention(coverage_weight=0.0, unknown_weight=0.5, pair_weight=0.0, unknown_pair_weight=0.5,
                   min_confidence=0.9, own=OwnBar(coverage_weight=0.1, pair_weight=0.1, min_confidence=0.85))
    # the same evidence: below the FAQ bar (unknown words count there), above the clause's own
    assert a.margin("hybrid", 0.86, 0.5, 0.2, 0.0, 0.2, faq=True) < 0
    assert a.margin("hybrid", 0.86, 0.5, 0.2, 0.0, 0.2, faq=False) == pytest.approx(0.86 + 0.05 - 0.85)
    assert a.on_topic("hybrid", 0.86, 0.5, 0.2, 0.0, 0.2, faq=False)
    assert a.margin("lexical", 0.0, 0.5, faq=False) == a.margin("lexical", 0.0, 0.5)  # coverage alone


def test_the_shipped_own_bar_is_the_higher_one():
    # a clause's own cosine runs lower than a question's to a like question, but its bar on the
    # raw cosine is set higher: nothing else backs it
    a = Abstention()
    assert a.own.min_confidence > a.min_confidence
