"""The near-miss and small-talk set (data/gold/near_miss.jsonl): loadable as a gold file, with the
counts and the share without diacritics that issue 17 asks for."""
import re
from collections import Counter
from pathlib import Path

from retrieval.evaluation import gold
from retrieval.text import fold, has_diacritics

PATH = Path(__file__).resolve().parents[2] / "data" / "gold" / "near_miss.jsonl"


def _questions():
    return gold.load(PATH)


def test_loads_and_every_line_is_unanswerable_without_evidence():
    qs = _questions()
    assert all(not q.answerable and q.evidence == () for q in qs)
    assert {q.topic for q in qs} == {"near-miss", "smalltalk"}
    assert {q.split for q in qs} == {"dev", "test"}
    for q in qs:
        prefix = "n" if q.topic == "near-miss" else "s"
        assert re.fullmatch(prefix + r"\d{3}", q.id), q.id


def test_counts_per_split():
    counts = Counter((q.topic, q.split) for q in _questions())
    assert counts["near-miss", "dev"] >= 45
    assert counts["near-miss", "test"] >= 25
    assert counts["smalltalk", "dev"] + counts["smalltalk", "test"] >= 20
    assert counts["smalltalk", "dev"] >= 10 and counts["smalltalk", "test"] >= 10


def test_diacritics_flag_is_true_to_the_text():
    for q in _questions():
        assert q.diacritics == has_diacritics(q.question), q.id


def test_half_of_the_near_misses_in_each_split_are_typed_without_diacritics():
    for split in ("dev", "test"):
        qs = [q for q in gold.load(PATH, split) if q.topic == "near-miss"]
        bare = sum(not q.diacritics for q in qs) / len(qs)
        assert 0.45 <= bare <= 0.55, (split, bare)


def test_no_question_is_in_both_splits():
    by_split = {s: {fold(q.question) for q in gold.load(PATH, s)} for s in ("dev", "test")}
    assert not by_split["dev"] & by_split["test"]
