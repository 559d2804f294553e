"""The FAQ: residents' questions written for a clause, matched alongside the clause itself."""
import json

import numpy as np
import pytest

from retrieval import faq
from retrieval.corpus import checksum
from retrieval.faq import Entry, FaqError
from retrieval.index import FaqIndex
from retrieval.types import Chunk

DOCS, ENTRIES = faq.curated()
KY_LUAT = "ky-luat-chot-kiem-dich-2021-07"
CHECKPOINTS = "phải bảo đảm 22/22 chốt hoạt động 24/24h kiểm tra, kiểm soát 100% người và phương tiện vào TP"


def _write(tmp_path, *records) -> str:
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records),
                    encoding="utf-8")
    return str(path)




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
    got = store.per_chunk(np.array([0.2, 0.7, 0.5], dtype=np.float32))
    assert got.ids.tolist() == [0, 1, 3]  # clause 2 has no question
    assert got.values.tolist() == [pytest.approx(0.7), pytest.approx(0.5), pytest.approx(0.5)]


def test_editing_the_faq_makes_the_index_stale():
    assert checksum(DOCS, ENTRIES) != checksum(DOCS, ENTRIES[:-1])
    assert checksum(DOCS, []) == checksum(DOCS)  # a corpus without an FAQ keeps its old checksum






