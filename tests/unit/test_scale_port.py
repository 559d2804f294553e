"""Per-question work on candidates with main's sides (FAQ, sections, subject coverage), and the
index kind in updates: hand-made inputs, no model."""
from __future__ import annotations

import json
from types import SimpleNamespace

import faiss
import numpy as np
import pytest

from retrieval import candidates, dense_index
from retrieval.corpus import Document
from retrieval.glossary import corpus_words
from retrieval.index import SectionIndex
from retrieval.lexical import LexicalIndex
from retrieval.query import Query
from retrieval.sparse import Sparse
from retrieval.subject import SubjectCoverage
from retrieval.types import Source


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def q(text: str, bridges=()) -> Query:
    return Query(text, text, True, (), tuple(bridges))


# --- padding: what a full sort over the corpus proposes --------------------------------------

def test_a_side_given_whole_is_padded_with_unscored_clauses_as_a_full_sort_pads_it():
    few = Sparse(np.array([2, 7]), np.array([0.5, 0.9], np.float32))
    whole = candidates.padded(few, 10, 0.0)
    assert whole.tolist() == pytest.approx([0, 0, 0.5, 0, 0, 0, 0, 0.9, 0, 0])
    assert candidates.pool(4, whole).tolist() == np.sort(np.argsort(-whole)[:4]).tolist()
    assert set(candidates.pool(4, whole)) > {2, 7}  # two unscored clauses join, as they always did
    assert candidates.pool(4, few).tolist() == [2, 7]  # a sparse side proposes only what it scored


def test_a_clause_not_in_force_is_never_padding():
    few = Sparse(np.array([1]), np.array([2.0], np.float32))
    allowed = np.array([True, True, False, False, True])
    whole = candidates.padded(few, 5, 0.0, allowed)
    assert whole.tolist() == [0, 2, -np.inf, -np.inf, 0]
    assert set(candidates.pool(3, whole)) == {0, 1, 4}


# --- sections ---------------------------------------------------------------------------------

def _sections(n_sections: int, of_chunk, texts=None, kind: str = "flat") -> SectionIndex:
    vectors = unit_vectors(n_sections, seed=5)
    store, _ = dense_index.make(vectors, kind)
    texts = texts or [f"đoạn số {i} về việc ra ngoài" for i in range(n_sections)]
    return SectionIndex(store, LexicalIndex.build(texts), np.asarray(of_chunk, dtype=np.int64))


def test_the_clauses_of_a_section_are_found_without_reading_every_clause():
    s = _sections(4, [0, 0, 2, 1, 2, 2, 3])
    assert s.clauses_of(np.array([2])).tolist() == [2, 4, 5]
    assert s.clauses_of(np.array([3, 0])).tolist() == [0, 1, 6]
    assert s.clauses_of(np.array([], dtype=np.int64)).tolist() == []
    assert len(s) == 4


def test_an_exact_section_index_is_read_whole_without_a_copy_and_an_approximate_one_is_not():
    s = _sections(4, [0, 1, 2, 3])
    m = s.matrix()
    assert m is not None and not m.flags["OWNDATA"]
    assert np.array_equal(m, s.dense.reconstruct_n(0, 4))
    vec = unit_vectors(1, seed=9)[0]
    assert s.cosines(np.array([3, 1]), vec).tolist() == pytest.approx((m @ vec)[[3, 1]].tolist())
    big = _sections(3000, np.arange(3000), texts=["ra ngoài"] * 3000, kind="ivf")
    assert big.matrix() is None


def test_the_sections_side_agrees_whole_and_from_faiss(monkeypatch):
    texts = ["ra ngoài đeo khẩu trang", "xét nghiệm miễn phí", "chốt kiểm dịch", "tiêm vắc xin",
             "ra ngoài khi cần thiết", "cửa hàng thiết yếu"]
    s = _sections(6, [0, 1, 2, 3, 4, 5], texts)
    vec = unit_vectors(1, seed=11)[0]
    question = q("ra ngoài có cần khẩu trang")
    whole = candidates.sections(s, vec, question, 0.5, per_side=2)
    monkeypatch.setattr(candidates, "PADDED_UP_TO", 0)
    sparse = candidates.sections(s, vec, question, 0.5, per_side=2)
    # the BM25 side holds 2 sections with a word of the question, so no padding is involved
    assert whole.best.tolist() == sparse.best.tolist()
    rows = np.arange(6)
    assert sparse.cosine(rows) == pytest.approx(whole.cosine(rows))
    assert sparse.bm25(rows).tolist() == whole.bm25(rows).tolist()


# --- subject coverage without reading every clause -------------------------------------------

CLAUSES = ["Các cơ sở kinh doanh phải tạm dừng hoạt động, trừ cửa hàng thiết yếu.",
           "Khẩn trương tăng tốc độ tiêm vắc xin cho người dân.",
           "Thống nhất sử dụng một ứng dụng công nghệ khai báo y tế.",
           "Người dân ra ngoài phải đeo khẩu trang, giữ khoảng cách."]
FAQ = [["quán nhậu có phải nghỉ bán không"], [], ["app khai báo nào"], []]


def test_subject_coverage_from_the_index_equals_counting_the_texts():
    from retrieval.text import fold, nfc, words

    counted = SubjectCoverage(CLAUSES, FAQ)
    lexical = LexicalIndex.build(CLAUSES)
    ws = corpus_words(CLAUSES)
    known = ws | {fold(w) for w in ws} | {f for qs in FAQ for x in qs
                                         for w in words(nfc(x).lower()) for f in (w, fold(w))}
    given = SubjectCoverage(CLAUSES, FAQ, lexical.document_frequency, known)
    for text in ["quán nhậu có phải đóng cửa không", "tiem vac xin o dau", "tiệm tóc có mở không",
                 "app khai bao y te", "ra ngoài có phải đeo khẩu trang không", "có không"]:
        groups = [[0], [1], [2], [3], [0, 3]]
        assert given.coverage(q(text), groups) == counted.coverage(q(text), groups)
        assert given.unknown(q(text)) == counted.unknown(q(text))
    assert given.forms_of(0) >= {"quán", "quan", "cửa", "cua"}


def test_subject_coverage_of_an_index_with_and_without_its_words():
    from retrieval.types import Chunk

    chunks = [Chunk(f"s:{i}", "s", 0, len(t), t, str(i)) for i, t in enumerate(CLAUSES)]
    faq = SimpleNamespace(question=np.array([0, 1]), chunk=np.array([0, 2]),
                          questions=[FAQ[0][0], FAQ[2][0]])
    index = SimpleNamespace(chunks=chunks, faq=faq, lexical=LexicalIndex.build(CLAUSES), words=None)
    read = SubjectCoverage.of_index(index)
    index.words = sorted(corpus_words(CLAUSES))
    kept = SubjectCoverage.of_index(index)
    counted = SubjectCoverage(CLAUSES, FAQ)
    for text in ["quán nhậu có phải đóng cửa không", "tiệm tóc có mở không", "app khai bao"]:
        for s in (read, kept):
            assert s.coverage(q(text), [[0], [2], [1, 3]]) == counted.coverage(q(text), [[0], [2], [1, 3]])
            assert s.unknown(q(text)) == counted.unknown(q(text))


# --- index updates keep the kind a full build would choose -----------------------------------

class FakeEmbedder:
    name, dim, backend, backend_checksum = "fake", 16, "torch", None

    def passages(self, texts, batch_size=32):
        return unit_vectors(len(texts), seed=len(texts))

    def queries(self, texts):
        return unit_vectors(len(texts), seed=7)

    def fits(self, text):
        return len(text) < 100


def _doc(sid: str, n: int, word: str) -> Document:
    text = "\n\n".join(f"Điều {i}. Người dân {word} lần thứ {i} phải đeo khẩu trang." for i in range(n))
    return Document(Source(sid, f"Chỉ thị {sid}", "directive", "UBND", None, "Hà Nội"), text)


def test_an_update_writes_the_index_kind_for_its_size_and_the_words_it_holds(tmp_path, monkeypatch):
    from retrieval import index_update
    from retrieval.index import build, load

    monkeypatch.setattr(dense_index, "FLAT_UP_TO", 8)
    first = [_doc("a", 6, "ra ngoài")]
    manifest = build(first, FakeEmbedder(), tmp_path / "index")
    assert manifest["dense_index"]["kind"] == "flat" and manifest["section_index"]["kind"] == "flat"
    index_update.update(tmp_path / "index", first + [_doc("b", 6, "đi chợ")], FakeEmbedder())
    after = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert after["chunks"] > 8 and after["dense_index"]["kind"] == "ivf" and after["section_index"]["kind"] == "ivf"
    index = load(tmp_path / "index")
    assert isinstance(faiss.downcast_index(index.dense), faiss.IndexIVFFlat)
    assert "chợ" in index.words and "ngoài" in index.words
    assert set(index.words) == corpus_words(c.text for c in index.chunks)
    # the first document's vectors were kept through the approximate index
    assert np.array_equal(index.dense.reconstruct_n(0, 6), FakeEmbedder().passages([""] * 6))
