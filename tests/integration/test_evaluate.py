"""Regression guard: the shipped search must stay above FLOORS on the test split of the gold set and the near misses.

Calls the evaluation directly with the session's model and index (no subprocess), so the whole
run costs a few seconds of query embedding. Metrics are deterministic; to move a floor, edit
retrieval/evaluation/runner.py: FLOORS.
"""
import pytest

from retrieval.evaluation import report as eval_report
from retrieval.evaluation.gold_file import load_golds
from retrieval.evaluation.runner import (DEFAULT_GOLDS, FIRST_QUOTE_FLOOR, FLOORS, SHIPPED, SYSTEMS, check_floors,
                                        evaluate_gold, first_quotes)
from retrieval.evaluation import gold


@pytest.fixture(scope="module")
def evaluation(engine):
    ev = evaluate_gold(engine, load_golds(DEFAULT_GOLDS, "test"))
    ev.info.update(gold="data/gold/questions.jsonl, data/gold/near_miss.jsonl", split="test",
                   index="(test index)", floors=FLOORS)
    return ev


def test_the_shipped_system_stays_above_the_floors(evaluation):
    s = evaluation.summary(SHIPPED)
    measured = {k: round(s[k], 3) if s[k] is not None else None for k in FLOORS}
    broken = check_floors(s)
    assert not broken, "below the floors: " + "; ".join(broken) + f" (measured {measured})"


def test_the_reply_opens_with_a_relevant_quote_as_often_as_the_ranking_allows(engine, evaluation):
    """What a resident reads first, not only how hits rank: a step after ranking that reorders the
    citations (once: the newest document first) would pass the floors above and fail here."""
    f = first_quotes(engine, load_golds(DEFAULT_GOLDS, "test"))
    ranked_first = sum(o.rank == 1 and not o.abstained for o in evaluation.outcomes[SHIPPED])
    assert f["relevant"] / f["answerable"] >= FIRST_QUOTE_FLOOR, f
    assert f["relevant"] >= ranked_first - 1, (f, ranked_first)  # at most one lost to a dropped quote


def test_every_system_answers_every_question(evaluation):
    n = len(load_golds(DEFAULT_GOLDS, "test"))
    assert evaluation.systems == SYSTEMS
    assert all(len(evaluation.outcomes[s]) == n for s in SYSTEMS)
    assert all(len(o.hits) <= 10 for s in SYSTEMS for o in evaluation.outcomes[s])


def test_the_report_has_the_tables_plot_and_failures(evaluation, tmp_path):
    md, png = eval_report.write(evaluation, tmp_path / "eval-test.md", "Retrieval evaluation")
    text = md.read_text(encoding="utf-8")
    n = evaluation.summary(SHIPPED)["n_answerable"]
    for needle in (f"| all | {n} | lexical |", "| without diacritics |", "off-topic abstained",
                   "![Recall@k](eval-test.png)", "## Regression floors", "## Failures", "mean latency",
                   "near-miss abstained", "smalltalk abstained", "## Hubs"):
        assert needle in text, needle
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_failure_refused_by_the_figure_check_says_so(engine, tmp_path):
    line = ('{"id": "q1", "split": "dev", "question": "Không đeo khẩu trang bị phạt bao nhiêu tiền?", '
            '"answerable": true, "diacritics": true, "topic": "movement", "evidence": [{"source_id": '
            '"hop-so-chi-huy-chi-thi-17-2021-07-28", "span": "Bước đầu đã xử phạt 1.359 trường hợp vi phạm"}]}')
    (tmp_path / "gold.jsonl").write_text(line + "\n", encoding="utf-8")
    ev = evaluate_gold(engine, gold.load(tmp_path / "gold.jsonl", "dev"), systems=(SHIPPED,))
    [o] = ev.outcomes[SHIPPED]
    assert o.abstained and o.missing == "money"
    assert "the clause gives no money figure" in eval_report.failures_section(ev)
