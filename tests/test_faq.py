"""The FAQ: residents' questions written for a clause, matched alongside the clause itself."""
import json

import numpy as np
import pytest

from retrieval import faq
from retrieval.corpus import checksum
from retrieval.faq import Entry, FaqError
from retrieval.index import FaqIndex
from retrieval.text import contains_either, fold, has_diacritics
from retrieval.types import Chunk

DOCS, ENTRIES = faq.curated()
KY_LUAT = "ky-luat-chot-kiem-dich-2021-07"
CHECKPOINTS = "phải bảo đảm 22/22 chốt hoạt động 24/24h kiểm tra, kiểm soát 100% người và phương tiện vào TP"


def _write(tmp_path, *records) -> str:
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records),
                    encoding="utf-8")
    return str(path)


def test_the_shipped_faq_quotes_its_sources_and_reaches_an_indexed_clause(engine):
    assert len(ENTRIES) >= 150 and all(len(e.ask) >= 2 for e in ENTRIES)
    chunks = engine.index.chunks
    orphans = [e.span[:60] for e in ENTRIES if not faq.attach([e], chunks)]
    assert not orphans, f"spans no indexed clause holds (cleaned away?): {orphans}"
    assert engine.index.faq is not None
    assert len(engine.index.faq.questions) == len({q for e in ENTRIES for q in e.ask})


def test_an_entry_is_read_with_its_questions(tmp_path):
    path = _write(tmp_path, {"source_id": KY_LUAT, "span": CHECKPOINTS, "ask": ["chot co truc dem ko", " Có ai trực cả đêm không? "]})
    assert faq.load(path, DOCS) == [Entry(KY_LUAT, CHECKPOINTS, ("chot co truc dem ko", "Có ai trực cả đêm không?"))]


@pytest.mark.parametrize("record, message", [
    ({"source_id": "nowhere", "span": CHECKPOINTS, "ask": ["q"]}, "unknown source_id 'nowhere'"),
    ({"source_id": KY_LUAT, "span": "22/22 chốt hoạt động 12/24h", "ask": ["q"]}, "not in ky-luat-chot-kiem-dich-2021-07"),
    ({"source_id": KY_LUAT, "ask": ["q"]}, "missing 'span'"),
    ({"source_id": KY_LUAT, "span": CHECKPOINTS, "ask": []}, "'ask' must be a non-empty list"),
    ({"source_id": KY_LUAT, "span": CHECKPOINTS, "ask": "one question"}, "'ask' must be a non-empty list"),
    ('{"source_id": ', "not valid JSON"),
])
def test_a_bad_entry_is_refused_with_its_line_and_what_to_fix(tmp_path, record, message):
    good = {"source_id": KY_LUAT, "span": CHECKPOINTS, "ask": ["q"]}
    with pytest.raises(FaqError, match=rf"faq.jsonl:2: .*{message}"):
        faq.load(_write(tmp_path, good, record), DOCS)


def test_a_span_attaches_to_the_clauses_around_it_or_inside_it():
    text = "Một. Hai ba bốn. Năm sáu."
    chunks = [Chunk("s:1", "s", 0, 16, text[0:16], "đoạn 1"), Chunk("s:2", "s", 17, 25, text[17:25], "đoạn 2")]
    assert faq.attach([Entry("s", "Hai ba bốn.", ("q1",))], chunks) == [("q1", 0)]  # inside the first
    assert sorted(faq.attach([Entry("s", text, ("q1", "q2"))], chunks)) == [("q1", 0), ("q1", 1), ("q2", 0), ("q2", 1)]
    assert faq.attach([Entry("other", "Năm sáu.", ("q",))], chunks) == []  # another document's words


def test_a_clause_scores_its_best_question():
    store = FaqIndex(questions=["a", "b", "c"], vectors=np.zeros((3, 2)), lexical=None,
                     question=np.array([0, 1, 2, 2]), chunk=np.array([0, 0, 1, 3]))
    got = store.per_chunk(np.array([0.2, 0.7, 0.5], dtype=np.float32), 4, -np.inf)
    assert got.tolist() == [pytest.approx(0.7), pytest.approx(0.5), -np.inf, pytest.approx(0.5)]


def test_editing_the_faq_makes_the_index_stale():
    assert checksum(DOCS, ENTRIES) != checksum(DOCS, ENTRIES[:-1])
    assert checksum(DOCS, []) == checksum(DOCS)  # a corpus without an FAQ keeps its old checksum


def test_an_faq_question_typed_without_diacritics_finds_its_clause(engine):
    """The FAQ's questions with diacritics, typed bare: the index holds only the accented form."""
    asked = [(fold(q), e) for e in ENTRIES for q in e.ask if has_diacritics(q)][::8]
    found = sum(any(h.chunk.source_id == e.source_id and contains_either(h.chunk.text, e.span)
                    for h in engine.search(q, k=3).hits) for q, e in asked)
    assert len(asked) >= 40 and found / len(asked) >= 0.85, f"{found}/{len(asked)}"


def test_a_corpus_without_an_faq_is_searched_as_before(tmp_path, embedder):
    from retrieval.corpus import load_jsonl
    from retrieval.index import build, load
    from retrieval.search import Retriever

    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "Chợ", "text": "Chợ dân sinh mở cửa từ 6 giờ sáng."},
                                 ensure_ascii=False), encoding="utf-8")
    build(load_jsonl(corpus), embedder, tmp_path / "index")
    index = load(tmp_path / "index", model=embedder.name)
    assert index.faq is None and not (tmp_path / "index" / "faq.faiss").exists()
    assert Retriever(index, embedder).search("chợ mở cửa mấy giờ").hits[0].chunk.source_id == "a"


def test_asked_word_for_word_an_faq_question_is_answered_with_its_clause(engine):
    e = next(e for e in ENTRIES if e.source_id == KY_LUAT and CHECKPOINTS in e.span)
    result = engine.search(e.ask[0], k=3)
    assert result.best_faq_cosine > 0.95  # not 1: the question also reads the glossary's phrases
    assert not result.abstained and contains_either(result.hits[0].chunk.text, e.span)
