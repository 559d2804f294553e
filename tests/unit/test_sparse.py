"""Top-k selection and sparse scores on hand-made arrays: the same order a full sort gives."""
from __future__ import annotations

import numpy as np
import pytest

from retrieval.coverage import WordCoverage
from retrieval.query import Query
from retrieval.sparse import Sparse, best_first, ranked


def full_order(values: np.ndarray) -> list[int]:
    return np.argsort(-values, kind="stable").tolist()


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("m", [1, 3, 10, 49])
def test_selecting_the_best_m_is_the_head_of_a_stable_full_sort(seed, m):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, size=50).astype(np.float32)  # many ties, also at the boundary
    assert best_first(values, m).tolist() == full_order(values)[:m]


def test_ties_go_to_the_earlier_clause_and_minus_infinity_comes_last():
    values = np.array([1.0, 2.0, 2.0, -np.inf, 2.0, 0.0], np.float32)
    assert best_first(values, 2).tolist() == [1, 2]
    assert best_first(values).tolist() == [1, 2, 4, 0, 5, 3]
    assert best_first(values, 0).tolist() == [] and best_first(values, 99).tolist() == full_order(values)


def test_ranking_is_lazy_but_complete():
    ids = np.array([10, 20, 30, 40, 50])
    values = np.array([0.1, 0.5, 0.3, 0.5, 0.2], np.float32)
    assert list(ranked(ids, values, first=2)) == [20, 40, 30, 50, 10]
    it = ranked(ids, values, first=2)
    assert [next(it), next(it)] == [20, 40]  # what a consumer that stops early sees


def test_scores_are_looked_up_by_clause_position():
    side = Sparse.of([9, 2, 5], [0.9, 0.2, 0.5])
    assert side.ids.tolist() == [2, 5, 9]
    assert side.at(np.array([5, 3, 9, 100]), -np.inf).tolist() == pytest.approx([0.5, -np.inf, 0.9, -np.inf])
    assert Sparse.empty().at(np.array([1]), 0.0).tolist() == [0.0]
    assert side.best(2).tolist() == [9, 5]


def test_word_coverage_from_the_index_frequencies_equals_counting_the_texts():
    texts = ["Cấm ra ngoài sau 18 giờ", "ra ngoài khi cần thiết", "xét nghiệm miễn phí"]
    counted = WordCoverage(texts)
    df = {"ra": 2, "ngoai": 2, "cam": 1, "sau": 1, "18": 1, "gio": 1, "khi": 1, "can": 1, "thiet": 1,
          "xet": 1, "nghiem": 1, "mien": 1, "phi": 1}
    given = WordCoverage(texts, lambda w: df.get(w, 0))
    q = Query("cấm ra ngoài lúc mấy giờ", "", True)
    assert given.of(q, [0, 1, 2, [0, 1]]) == counted.of(q, [0, 1, 2, [0, 1]])
    assert counted.of(q, [0])[0] > counted.of(q, [1])[0] > 0 == counted.of(q, [2])[0]


def test_the_lexical_side_is_the_nonzero_part_of_the_full_scores_bit_for_bit():
    from retrieval import candidates
    from retrieval.lexical import LexicalIndex

    texts = ["Cấm ra ngoài sau 18 giờ, trừ trường hợp cần thiết.", "Người dân ra ngoài phải đeo khẩu trang.",
             "Xét nghiệm miễn phí cho người dân.", "Chốt kiểm dịch hoạt động 24/24 giờ.", "khẩu trang khẩu trang"]
    index = LexicalIndex.build(texts)
    for text, expansion in [("ra ngoai co bi phat khong", ()), ("khẩu trang người dân", ("xét nghiệm",)),
                            ("chốt", ()), ("zzz", ())]:
        full = index.scores(text)
        if expansion:
            full = full + 0.5 * index.scores(" ".join(expansion))
        side = candidates.lexical(index, Query(text, text, True, expansion), 0.5)
        assert side.ids.tolist() == np.flatnonzero(full).tolist()
        assert side.values.tobytes() == full[side.ids].tobytes()
    assert index.document_frequency("ra") == 2 and index.document_frequency("zzz") == 0


def test_a_clauses_words_read_piece_by_piece_are_words_of_the_folded_text():
    from retrieval.text import fold, words

    texts = ["Ra ngoài,  đeo khẩu-trang!\nĐi  đường", "x\u0301y a\u0300 b\u00a0c_d", "", "   "]
    coverage = WordCoverage(texts)
    for i, t in enumerate(texts):
        assert coverage.words_of(i) == frozenset(words(fold(t)))
