"""Fusion, passage grouping, candidates and abstention, each on hand-made scores."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from retrieval import candidates
from retrieval.abstention import Abstention
from retrieval.fusion import Ranking, fuse, standardise
from retrieval.passages import distinct, passage
from retrieval.sparse import Sparse
from retrieval.types import Chunk

INF = np.inf


def test_standardising_gives_z_scores_and_a_flat_side_counts_for_nothing():
    z = standardise(np.array([1.0, 2.0, 3.0]))
    assert z.mean() == pytest.approx(0) and z.std() == pytest.approx(1)
    assert standardise(np.array([5.0, 5.0])).tolist() == [0.0, 0.0]


def test_fusion_averages_the_sides_over_the_candidates_only():
    cos = np.array([0.9, 0.8, 0.1, 0.5], dtype=np.float32)
    lex = np.array([0.0, 10.0, 2.0, 99.0], dtype=np.float32)
    cand = np.array([0, 1, 2])
    fused = fuse(4, cand, cos, lex, np.zeros(3, np.float32), Ranking(coverage_boost=0))
    assert fused[3] == -INF  # not a candidate
    expected = 0.5 * standardise(cos[cand]) + 0.5 * standardise(lex[cand])
    assert fused[cand] == pytest.approx(expected)
    assert np.argmax(fused) == 1  # strong on both sides beats strong on one


def test_fusion_leaves_its_inputs_alone():
    cos, lex = np.array([0.9, 0.8], np.float32), np.array([1.0, 2.0], np.float32)
    before = cos.copy(), lex.copy()
    fuse(2, np.array([0, 1]), cos, lex, np.array([0.5, 0.0], np.float32), Ranking(),
         np.array([0.7, -INF], np.float32), np.array([1.0, 0.0], np.float32))
    assert (cos == before[0]).all() and (lex == before[1]).all()


def test_word_coverage_breaks_a_tie():
    cos, lex = np.array([0.8, 0.8], np.float32), np.array([3.0, 3.0], np.float32)
    fused = fuse(2, np.array([0, 1]), cos, lex, np.array([0.2, 0.9], np.float32), Ranking())
    assert fused[1] > fused[0]


def test_among_clauses_with_faq_questions_a_residents_question_lifts_its_clause():
    cos = np.array([0.9, 0.5, 0.4], np.float32)
    lex = np.array([1.0, 1.0, 1.0], np.float32)
    asked = np.array([0.6, 0.95, 0.5], np.float32)
    asked_lex = np.array([0.0, 5.0, 0.0], np.float32)
    cand = np.array([0, 1, 2])
    fused = fuse(3, cand, cos, lex, np.zeros(3, np.float32), Ranking(), asked, asked_lex)
    assert np.argmax(fused) == 1  # its residents' question lifts clause 1 above the closer clause 0


def test_a_clause_of_a_document_without_faq_questions_stands_in_with_its_own_scores():
    """A document officials added has no residents' questions: it must not rank below every
    clause that has some for that alone."""
    cand = np.arange(4)
    cos = np.array([0.9, 0.6, 0.5, 0.4], np.float32)  # clause 0, new, says most of what was asked
    lex = np.array([9.0, 3.0, 2.0, 1.0], np.float32)
    asked = np.array([-INF, 0.7, 0.6, 0.5], np.float32)
    asked_lex = np.array([0.0, 4.0, 2.0, 1.0], np.float32)
    faq_less = np.array([True, False, False, False])
    fused = fuse(4, cand, cos, lex, np.zeros(4, np.float32), Ranking(), asked, asked_lex, faq_less=faq_less)
    assert np.argmax(fused) == 0
    own = standardise(cos) * 0.5 + standardise(lex) * 0.5
    assert fused[0] == pytest.approx(own[0] + Ranking().faq_weight * (standardise(cos)[0] + standardise(lex)[0]))
    # the others' questions are weighed among themselves, as if clause 0 were not there
    faq = standardise(asked[1:]) + standardise(asked_lex[1:])
    assert fused[1:] == pytest.approx(own[1:] + Ranking().faq_weight * faq)


def test_a_clause_passed_over_in_a_document_with_faq_questions_gets_its_cosine_and_no_bm25():
    cand = np.arange(3)
    cos = np.array([0.9, 0.6, 0.5], np.float32)
    lex = np.array([9.0, 3.0, 2.0], np.float32)
    asked = np.array([-INF, 0.7, 0.6], np.float32)
    asked_lex = np.array([0.0, 4.0, 2.0], np.float32)
    fused = fuse(3, cand, cos, lex, np.zeros(3, np.float32), Ranking(), asked, asked_lex,
                 faq_less=np.zeros(3, dtype=bool))
    own = standardise(cos) * 0.5 + standardise(lex) * 0.5
    expected = own + Ranking().faq_weight * (standardise(np.array([0.9, 0.7, 0.6])) + standardise(asked_lex))
    assert fused == pytest.approx(expected)


def test_the_candidate_pool_is_the_union_of_each_sides_best():
    a = Sparse(np.arange(5), np.array([5, 4, 3, 2, 1.0], np.float32))
    b = Sparse(np.arange(5), np.array([1, 2, 3, 4, 5.0], np.float32))
    assert candidates.pool(2, a, b).tolist() == [0, 1, 3, 4]


def test_a_side_proposes_only_what_it_scored():
    few = Sparse(np.array([7]), np.array([3.0], np.float32))  # BM25: one clause holds a word
    assert candidates.pool(50, few, Sparse.empty()).tolist() == [7]


def test_missing_cosines_are_computed_from_the_stored_vectors():
    import faiss

    store = faiss.IndexFlatIP(3)
    store.add(np.eye(3, dtype=np.float32))
    index = SimpleNamespace(dense=store)
    vec = np.array([0.0, 0.6, 0.8], np.float32)
    found = Sparse(np.array([0]), np.array([0.5], np.float32))  # FAISS's own figure is kept
    assert candidates.cosines(found, index, vec, np.array([0, 1, 2])).tolist() == pytest.approx([0.5, 0.6, 0.8])


def _chunk(i: int, start: int, end: int, source: str = "s") -> Chunk:
    return Chunk(f"c{i}", source, start, end, "x" * (end - start), f"đoạn {i}")


def test_one_place_gives_one_result_and_a_window_right_behind_extends_it():
    chunks = [_chunk(0, 0, 300), _chunk(1, 200, 500), _chunk(2, 1000, 1200), _chunk(3, 1100, 1300)]
    # 1 overlaps 0 and ranks right behind it: joined; 3 overlaps 2 but 0 is not the last group then
    assert distinct([0, 1, 2, 3], chunks, k=5) == [[0, 1], [2, 3]]
    assert distinct([0, 2, 1], chunks, k=5) == [[0], [2]]  # 1 comes after another clause: skipped


def test_joining_stops_at_the_passage_limit_and_k_is_respected():
    chunks = [_chunk(0, 0, 400), _chunk(1, 350, 750), _chunk(2, 2000, 2100), _chunk(3, 3000, 3100)]
    assert distinct([0, 1, 2, 3], chunks, k=2) == [[0], [2]]


def test_a_joined_passage_is_an_exact_slice_of_the_source():
    text = "Câu một. Câu hai dài hơn. Câu ba."
    chunks = [Chunk("a", "s", 0, 24, text[0:24], "đoạn 1"), Chunk("b", "s", 9, 33, text[9:33], "đoạn 1")]
    joined = passage([0, 1], chunks, {"s": text})
    assert joined.text == text[joined.start:joined.end] == text


@pytest.mark.parametrize("cos, cover, on_topic", [(0.88, 0.1, True), (0.88, 0.0, False), (0.95, 0.0, True)])
def test_abstention_weighs_the_cosine_and_the_words_the_clause_shares(cos, cover, on_topic):
    a = Abstention(coverage_weight=0.1, min_confidence=0.889)
    assert a.on_topic("hybrid", cos, cover) is on_topic
    assert (a.margin("hybrid", cos, cover) >= 0) is on_topic


def test_a_faq_questions_closeness_is_discounted():
    a = Abstention(faq_discount=0.05)
    close = a.closeness(np.array([0.80, 0.80], np.float32), np.array([0.95, -INF], np.float32))
    assert close.tolist() == pytest.approx([0.90, 0.80])


def test_lexical_mode_abstains_on_coverage_alone():
    a = Abstention(min_coverage_lexical=0.45)
    assert a.on_topic("lexical", 0.0, 0.5) and not a.on_topic("lexical", 0.99, 0.4)


def test_a_document_counts_as_written_for_only_when_its_faq_lines_cover_half_its_clauses():
    """An official adding one line from a reviewed question must not turn the rest of a new
    document into clauses 'passed over' by the FAQ's writers."""
    from retrieval.search import faq_less

    chunks = [Chunk(f"{sid}:{i:03d}", sid, 0, 1, "x", "") for sid, n in (("shipped", 4), ("added", 4))
              for i in range(n)]
    assert faq_less(chunks, frozenset({0, 1, 2})).tolist() == [False] * 4 + [True] * 4
    assert faq_less(chunks, frozenset({0, 1, 4})).tolist() == [False] * 4 + [True] * 4  # one line of four
    assert faq_less(chunks, frozenset({0, 1, 4, 5})).tolist() == [False] * 8
