"""Ranking metrics on small lists worked out by hand; relevance on the gold set; the summary and floors."""
import math
import unicodedata

import pytest

from retrieval.evaluation.runner import Case, Outcome, check_floors, failed, summarise
from retrieval.evaluation import gold
from retrieval.evaluation.metrics import first_relevant_rank, hit_at, mean, ndcg, reciprocal_rank, share
from retrieval.types import Chunk

N, A, B = frozenset(), frozenset({0}), frozenset({1})
L3, L5 = 1 / math.log2(3), 1 / math.log2(5)  # 0.6309…, 0.4307…


# --- metrics --------------------------------------------------------------------------------

def test_first_relevant_rank():
    assert first_relevant_rank([N, A, N, B]) == 2
    assert first_relevant_rank([A]) == 1
    assert first_relevant_rank([N, N]) is None
    assert first_relevant_rank([]) is None


def test_hit_at_k():
    judged = [N, N, A]
    assert [hit_at(judged, k) for k in (1, 2, 3, 5)] == [0.0, 0.0, 1.0, 1.0]
    assert hit_at([], 5) == 0.0


def test_reciprocal_rank_stops_at_k():
    assert reciprocal_rank([N, A]) == 0.5
    assert reciprocal_rank([N, N, N, A]) == 0.25
    assert reciprocal_rank([N] * 10 + [A], k=10) == 0.0
    assert reciprocal_rank([N] * 10 + [A], k=11) == pytest.approx(1 / 11)


def test_ndcg_two_targets_found_at_ranks_2_and_4():
    # DCG = 1/log2(3) + 1/log2(5) = 1.06161; ideal = 1 + 1/log2(3) = 1.63093
    assert ndcg([N, A, N, B], n_relevant=2) == pytest.approx((L3 + L5) / (1 + L3))
    assert ndcg([N, A, N, B], n_relevant=2) == pytest.approx(0.650921, abs=1e-6)


def test_ndcg_counts_each_target_once():
    assert ndcg([A, A], n_relevant=1) == pytest.approx(1.0)
    assert ndcg([A, A], n_relevant=2) == pytest.approx(1 / (1 + L3))  # 0.613147
    assert ndcg([N, A, A, B], n_relevant=2) == pytest.approx((L3 + L5) / (1 + L3))


def test_ndcg_one_item_covering_two_targets_gains_once():
    assert ndcg([A | B], n_relevant=2) == pytest.approx(1 / (1 + L3))


def test_ndcg_perfect_and_empty():
    assert ndcg([A, B, N], n_relevant=2) == pytest.approx(1.0)
    assert ndcg([N, N], n_relevant=1) == 0.0
    assert ndcg([], n_relevant=1) == 0.0
    assert ndcg([A], n_relevant=0) == 0.0


def test_ndcg_ideal_is_capped_at_k_and_ignores_hits_below_k():
    judged = [frozenset({i}) for i in range(10)]
    assert ndcg(judged, n_relevant=12, k=10) == pytest.approx(1.0)
    assert ndcg([N] * 10 + [A], n_relevant=1, k=10) == 0.0
    assert ndcg([N, A], n_relevant=1, k=1) == 0.0


def test_mean_and_share():
    assert mean([]) == 0.0
    assert mean([1.0, 0.0, 0.5]) == 0.5
    assert share([True, False, False, True]) == 0.5
    assert share([]) == 0.0


# --- relevance on the gold set -------------------------------------------------------------

def chunk(text, source_id="s1", cid="s1:001"):
    return Chunk(id=cid, source_id=source_id, start=0, end=len(text), text=text, location="đoạn 1")


def test_a_chunk_inside_the_span_or_around_it_is_relevant():
    span = "phải bảo đảm 22/22 chốt hoạt động 24/24h"
    ev = (gold.Evidence("s1", span),)
    assert gold.covered(chunk("TP yêu cầu " + span + " và kiểm tra."), ev) == {0}
    assert gold.covered(chunk("22/22 chốt hoạt động"), ev) == {0}
    assert gold.covered(chunk("chốt hoạt động 24/24h kiểm tra"), ev) == frozenset()  # overlap only


def test_relevance_needs_the_same_source():
    ev = (gold.Evidence("s1", "chốt hoạt động 24/24h"),)
    assert gold.covered(chunk("các chốt hoạt động 24/24h", source_id="s2"), ev) == frozenset()


def test_relevance_ignores_unicode_form_and_whitespace():
    span = "kiểm soát 100% người và phương tiện"
    nfd_with_break = unicodedata.normalize("NFD", "kiểm soát 100%\n\nngười  và phương tiện vào TP")
    assert gold.covered(chunk(nfd_with_break), (gold.Evidence("s1", span),)) == {0}


def test_covered_reports_every_span_the_chunk_holds():
    ev = (gold.Evidence("s1", "làm gì có việc đó"), gold.Evidence("s1", "không giãn cách"),
          gold.Evidence("s2", "làm gì có việc đó"))
    assert gold.covered(chunk("Thành phố không giãn cách. Làm gì có tin, làm gì có việc đó."), ev) == {0, 1}


def test_unreachable_spans_cross_chunk_boundaries():
    ev = (gold.Evidence("s1", "cách ly, phong tỏa; bệnh viện, chợ"), gold.Evidence("s1", "bệnh viện"))
    chunks = [chunk("các địa điểm bị cách ly, phong tỏa;"), chunk("bệnh viện, chợ dân sinh.", cid="s1:002")]
    assert gold.unreachable(ev, chunks) == [ev[0]]


def _write(tmp_path, lines):
    p = tmp_path / "gold.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


Q1 = ('{"id": "q1", "split": "dev", "question": "Có được ra ngoài không?", "answerable": true, '
      '"diacritics": true, "topic": "movement", "evidence": [{"source_id": "s1", "span": "ra ngoài"}, '
      '{"source_id": "s1", "span": "ra ngoài"}]}')
Q2 = ('{"id": "q2", "split": "test", "question": "gia vang hom nay", "answerable": false, '
      '"topic": "offtopic", "evidence": []}')


def test_load_filters_the_split_dedupes_evidence_and_infers_diacritics(tmp_path):
    p = _write(tmp_path, [Q1, "", Q2])
    qs = gold.load(p)
    assert [q.id for q in qs] == ["q1", "q2"]
    assert qs[0].evidence == (gold.Evidence("s1", "ra ngoài"),)
    assert qs[1].diacritics is False  # not given: read from the question
    assert [q.id for q in gold.load(p, "test")] == ["q2"]


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    ('{"id": "q1", "question": "x", "answerable": true, "evidence": []}', "at least one evidence"),
    ('{"id": "q1", "question": "x", "answerable": "yes", "evidence": []}', "true or false"),
    ('{"id": "q1", "answerable": false, "evidence": []}', "missing 'question'"),
])
def test_load_refuses_bad_lines_with_their_line_number(tmp_path, line, message):
    with pytest.raises(gold.GoldError, match=message) as e:
        gold.load(_write(tmp_path, [line]))
    assert "gold.jsonl:1" in str(e.value)


def test_load_refuses_duplicate_ids_and_unknown_splits(tmp_path):
    with pytest.raises(gold.GoldError, match="duplicate id"):
        gold.load(_write(tmp_path, [Q1, Q1]))
    with pytest.raises(gold.GoldError, match="split"):
        gold.load(_write(tmp_path, [Q1]), "train")


# --- summary and floors ---------------------------------------------------------------------

def outcome(qid, judged, answerable=True, diacritics=True, abstained=False, n_relevant=1, secs=0.01):
    case = Case(qid, qid, answerable, diacritics, n_relevant)
    return Outcome(case, "hybrid", [], list(judged), abstained, {"best_cosine": 0.9}, secs)


def test_summary_groups_abstention_and_latency():
    rows = [
        outcome("a", [A]),                                            # rank 1
        outcome("b", [N, N, A], diacritics=False),                    # rank 3
        outcome("c", [N] * 6 + [A], diacritics=False, abstained=True),  # rank 7, wrongly abstained
        outcome("d", [N, N], answerable=False, abstained=True, secs=0.03),
        outcome("e", [N], answerable=False, abstained=False, secs=0.03),
    ]
    s = summarise(rows)
    assert s["n_answerable"] == 3 and s["n_offtopic"] == 2
    assert s["recall@1"] == pytest.approx(1 / 3)
    assert s["recall@3"] == pytest.approx(2 / 3)
    assert s["recall@5"] == pytest.approx(2 / 3)
    assert s["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 7) / 3)
    assert s["groups"]["without diacritics"]["n"] == 2
    assert s["groups"]["without diacritics"]["recall@3"] == pytest.approx(0.5)
    assert s["groups"]["with diacritics"]["mrr@10"] == pytest.approx(1.0)
    assert s["offtopic_abstained"] == pytest.approx(0.5)
    assert s["wrong_abstained"] == pytest.approx(1 / 3)
    assert s["latency_ms"] == pytest.approx(18.0)
    assert s["recall_curve"][6] == pytest.approx(1.0)
    assert [failed(o) for o in rows] == [False, False, True, False, True]


def test_floors_report_what_is_broken():
    floors = {"recall@3": (">=", 0.8), "mrr@10": (">=", 0.7), "offtopic_abstained": (">=", 0.7),
              "wrong_abstained": ("<=", 0.1)}
    ok = {"recall@3": 0.9, "mrr@10": 0.8, "offtopic_abstained": 0.75, "wrong_abstained": 0.1}
    assert check_floors(ok, floors) == []
    broken = check_floors({**ok, "recall@3": 0.7, "wrong_abstained": 0.2}, floors)
    assert len(broken) == 2 and broken[0].startswith("recall@3") and broken[1].startswith("wrong_abstained")
    assert check_floors({**ok, "offtopic_abstained": None}, floors) != []  # a gold file without off-topic
