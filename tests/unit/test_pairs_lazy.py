"""Word pairs (pairs.py) of an index read lazily, from pairs.json and BM25's postings, against
counting every clause at load; and pairs.json kept right by builds and updates. No model."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from retrieval.corpus import Document
from retrieval.faq import Entry
from retrieval.lexical import LexicalIndex
from retrieval.pairs import FILE, PairCoverage, read_pairs, write_pairs
from retrieval.query import Query
from retrieval.types import Chunk, Source

CLAUSES = ["Nhà hàng, quán ăn chỉ bán mang về; quán nhậu tạm dừng hoạt động.",
           "Tiếp tục triển khai tiêm chủng mũi 2 ngay khi được phân bổ vắc xin.",
           "Quét mã_QR, đeo khẩu_trang khi ra vào chợ, siêu thị.",  # words with an underscore
           "Người dân ra ngoài phải đeo khẩu trang, giữ khoảng cách.",
           "Cửa hàng thiết yếu mở cửa; quét mã QR khi vào."]
FAQ = [["quán nhậu có phải nghỉ bán không"], [], ["app khai báo nào", "mua rau ở chợ"], [], []]
QUESTIONS = ["quán nhậu có phải đóng cửa không", "tiem chung mui 3", "tiêm chủng mũi 2 ở đâu",
             "quét mã_QR ở chợ", "quét mã QR ở chợ", "ma_qr", "đeo khẩu_trang", "khau_trang deo", "mua rau ngoài chợ", "tiệm tóc có mở không",
             "app khai báo", "có không", "ra ngoài đeo khẩu trang"]
GROUPS = [[0], [1], [2], [3], [4], [2, 4], [0, 3]]


def q(text: str) -> Query:
    return Query(text, text, True)


def _index(tmp_path, recorded: bool):
    chunks = [Chunk(f"s:{i}", "s", 0, len(t), t, str(i)) for i, t in enumerate(CLAUSES)]
    rows = [(qu, i) for i, qs in enumerate(FAQ) for qu in qs]
    faq = SimpleNamespace(question=np.arange(len(rows)), chunk=np.array([i for _, i in rows]),
                          questions=[qu for qu, _ in rows])
    pairs = None
    if recorded:
        write_pairs(tmp_path, CLAUSES, faq.questions)
        pairs = read_pairs(tmp_path)
    return SimpleNamespace(chunks=chunks, faq=faq, lexical=LexicalIndex.build(CLAUSES), pairs=pairs)


def test_read_lazily_or_counted_at_load_the_figures_are_the_same(tmp_path):
    counted = PairCoverage(CLAUSES, FAQ)
    lazy = PairCoverage.of_index(_index(tmp_path, recorded=True))
    eager = PairCoverage.of_index(_index(tmp_path, recorded=False))
    for text in QUESTIONS:
        want = counted.coverage(q(text), GROUPS), counted.unknown(q(text))
        assert (lazy.coverage(q(text), GROUPS), lazy.unknown(q(text))) == want, text
        assert (eager.coverage(q(text), GROUPS), eager.unknown(q(text))) == want, text
    # not vacuous: the questions see covered, partly covered and unknown pairs
    assert {counted.unknown(q(t)) > 0 for t in QUESTIONS} == {True, False}
    assert 0 < counted.coverage(q("quét mã QR ở chợ"), [[4]])[0] < 1


def test_an_underscored_word_is_weighed_by_the_clauses_that_hold_it_not_by_bm25s_compounds(tmp_path):
    lazy = PairCoverage.of_index(_index(tmp_path, recorded=True))
    counted = PairCoverage(CLAUSES, FAQ)
    assert LexicalIndex.build(CLAUSES).document_frequency("khau_trang") == 2  # pyvi's "khẩu trang" too
    assert lazy.idf("khau_trang") == counted.idf("khau_trang") == pytest.approx(np.log(1 + 5 / 1))
    assert lazy.idf("ma_qr") == counted.idf("ma_qr") and lazy.idf("khau") == counted.idf("khau")


def test_loading_reads_no_clause_and_a_question_reads_only_its_candidates(tmp_path):
    index = _index(tmp_path, recorded=True)
    read = []

    class Watched(list):
        def __getitem__(self, i):
            read.append(i)
            return super().__getitem__(i)

    index.chunks = Watched(index.chunks)
    lazy = PairCoverage.of_index(index)
    assert read == []
    lazy.coverage(q("quán nhậu có phải đóng cửa không"), [[0], [3]])
    lazy.unknown(q("mua rau ngoài chợ"))
    assert sorted(set(read)) == [0, 3]


def test_pairs_json_holds_the_clauses_and_faq_questions_pairs_folded_and_as_written(tmp_path):
    write_pairs(tmp_path, CLAUSES, ["mua rau ở chợ"])
    rec = read_pairs(tmp_path)
    assert {"quán nhậu", "quan nhau", "mua rau", "mã_qr đeo", "ma_qr deo"} <= rec.known
    assert "động tiếp" not in rec.known and "dong tiep" not in rec.known  # across two clauses
    assert rec.underscored == {"ma_qr": 1, "khau_trang": 1}
    assert read_pairs(tmp_path / "nowhere") is None


# --- builds and updates write pairs.json -----------------------------------------------------

class FakeEmbedder:
    name, dim, backend, backend_checksum = "fake", 16, "torch", None

    def _unit(self, n: int, seed: int) -> np.ndarray:
        v = np.random.default_rng(seed).standard_normal((n, self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def passages(self, texts, batch_size=32):
        return self._unit(len(texts), len(texts))

    def queries(self, texts):
        return self._unit(len(texts), 7)

    def fits(self, text):
        return len(text) < 100


def _doc(sid: str, clauses: list[str]) -> Document:
    text = "\n\n".join(f"Điều {i}. {c}" for i, c in enumerate(clauses))
    return Document(Source(sid, f"Chỉ thị {sid}", "directive", "UBND", None, "Hà Nội"), text)


def _eager(index) -> set[str]:
    """What counting every clause and FAQ question at load gives."""
    faq = [[] for _ in index.chunks]
    for row, i in zip(index.faq.question, index.faq.chunk):
        faq[i].append(index.faq.questions[row])
    return PairCoverage([c.text for c in index.chunks], faq)._known


def test_a_build_and_an_update_keep_pairs_json_equal_to_counting_the_index(tmp_path):
    from retrieval import index_update
    from retrieval.index import build, load

    a = _doc("a", ["Người dân ra ngoài phải đeo khẩu trang.", "Quán nhậu tạm dừng hoạt động."])
    b = _doc("b", ["Chợ dân sinh mở cửa, người đi chợ quét mã QR.", "Siêu thị bán hàng đến 21 giờ."])
    c = _doc("c", ["Tiêm chủng mũi 3 cho người trên 18 tuổi."])
    faq = [Entry("a", "Quán nhậu tạm dừng hoạt động.", ("quán bia có được bán không",)),
           Entry("b", "Chợ dân sinh mở cửa, người đi chợ quét mã QR.", ("mua rau ở chợ được không",))]
    build([a, b], FakeEmbedder(), tmp_path / "index", faq=faq)
    index = load(tmp_path / "index")
    assert index.pairs is not None and set(index.pairs.known) == _eager(index)
    assert {"mua rau", "quán bia", "quét mã"} <= index.pairs.known

    index_update.update(tmp_path / "index", [a, b, c], FakeEmbedder(), faq)  # c comes
    index = load(tmp_path / "index")
    assert set(index.pairs.known) == _eager(index) and "mũi 3" in index.pairs.known
    # c goes
    index_update.update(tmp_path / "index", [a, b], FakeEmbedder(), faq)
    index = load(tmp_path / "index")
    assert set(index.pairs.known) == _eager(index)
    assert "mũi 3" not in index.pairs.known and {"mua rau", "quán bia", "quét mã"} <= index.pairs.known
    stored = json.loads((index.path / FILE).read_text(encoding="utf-8"))
    assert stored["pairs"] == sorted(stored["pairs"])


def test_an_index_without_pairs_json_is_counted_at_load(tmp_path):
    from retrieval.index import build, load

    a = _doc("a", ["Người dân ra ngoài phải đeo khẩu trang.", "Quán nhậu tạm dừng hoạt động."])
    build([a], FakeEmbedder(), tmp_path / "index")
    index = load(tmp_path / "index")
    recorded = PairCoverage.of_index(index)
    (index.path / FILE).unlink()
    index = load(tmp_path / "index")
    assert index.pairs is None
    counted = PairCoverage.of_index(index)
    assert counted._known == set(recorded._known)
    for text in ["quán nhậu có mở không", "ra ngoai deo khau trang", "tiệm tóc"]:
        assert counted.coverage(q(text), [[0], [1]]) == recorded.coverage(q(text), [[0], [1]])
        assert counted.unknown(q(text)) == recorded.unknown(q(text))


def test_removing_a_document_right_after_a_build_and_with_its_faq_questions_leaves_a_loadable_index(tmp_path):
    """Two update bugs: the first update after a full build read the removed clauses' BM25 tokens
    after deleting them (KeyError); removing a document whose clauses had FAQ questions kept their
    vectors while dropping their rows (an index that would not load)."""
    from retrieval import index_update
    from retrieval.index import build, load

    a = _doc("a", ["Người dân ra ngoài phải đeo khẩu trang.", "Quán nhậu tạm dừng hoạt động."])
    b = _doc("b", ["Chợ dân sinh mở cửa, người đi chợ quét mã QR.", "Siêu thị bán hàng đến 21 giờ."])
    faq = [Entry("a", "Quán nhậu tạm dừng hoạt động.", ("quán bia có được bán không",)),
           Entry("b", "Chợ dân sinh mở cửa, người đi chợ quét mã QR.", ("mua rau ở chợ được không",
                                                                        "chợ có mở không"))]
    build([a, b], FakeEmbedder(), tmp_path / "index", faq=faq)
    before = load(tmp_path / "index")
    kept = before.faq.vectors[before.faq.questions.index("quán bia có được bán không")]

    index_update.update(tmp_path / "index", [a], FakeEmbedder(), faq)  # b goes, in the first update
    index = load(tmp_path / "index")
    assert [c.source_id for c in index.chunks] == ["a", "a"]
    assert index.faq.questions == ["quán bia có được bán không"]
    assert index.faq.vectors.shape[0] == 1 and np.allclose(index.faq.vectors[0], kept)
    [linked] = [index.chunks[i].text for i in index.faq.chunk]
    assert linked.endswith("Quán nhậu tạm dừng hoạt động.")

    build([a, b], FakeEmbedder(), tmp_path / "only-b", faq=faq[1:])
    index_update.update(tmp_path / "only-b", [a], FakeEmbedder(), faq[1:])  # every FAQ question goes
    index = load(tmp_path / "only-b")
    assert index.faq is None and [c.source_id for c in index.chunks] == ["a", "a"]
