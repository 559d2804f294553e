"""What a question is about (subject), which clause leads (leading), sections, the abstention
bar with unknown words, and the evaluation's hubs and per-kind abstention: hand-made inputs, no model."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from retrieval.abstention import Abstention
from retrieval.fusion import Ranking, fuse, standardise
from retrieval.leading import RulesLead, asks_for_report, is_dateline
from retrieval.query import Query
from retrieval.sections import split
from retrieval.subject import SubjectCoverage
from retrieval.types import Chunk, Hit

INF = np.inf


def q(text: str, bridges=()) -> Query:
    return Query(text, text, True, (), tuple(bridges))


# --- subject ---------------------------------------------------------------------------------

CLAUSES = ["Các cơ sở kinh doanh phải tạm dừng hoạt động, trừ cửa hàng thiết yếu.",
           "Khẩn trương tăng tốc độ tiêm vắc xin cho người dân.",
           "Thống nhất sử dụng một ứng dụng công nghệ khai báo y tế."]


def test_a_word_typed_with_diacritics_must_match_with_them():
    s = SubjectCoverage(CLAUSES)
    # "tóc" folds to "toc" like "tốc", but only the bare spelling may match it
    assert s.coverage(q("tiệm tóc"), [[1]]) == [0.0]
    assert s.coverage(q("tiem toc"), [[1]])[0] > 0
    assert s.unknown(q("tiệm tóc")) == pytest.approx(1.0)
    assert s.unknown(q("tiem toc")) < 1.0


def test_the_faq_questions_of_a_clause_count_as_its_words():
    without = SubjectCoverage(CLAUSES)
    with_faq = SubjectCoverage(CLAUSES, [["quán nhậu có phải nghỉ bán không"], [], []])
    asked = q("quán nhậu nghỉ bán")
    assert without.coverage(asked, [[0]]) == [0.0]
    assert with_faq.coverage(asked, [[0]]) == [1.0]
    assert with_faq.coverage(asked, [[1]]) == [0.0]  # another clause's questions do not count
    assert with_faq.unknown(asked) == 0.0 and without.unknown(asked) == 1.0


def test_a_glossary_bridge_counts_when_the_clause_has_the_translation():
    s = SubjectCoverage(CLAUSES)
    asked = q("cài app", bridges=[("app", ("ứng dụng công nghệ",))])
    assert s.coverage(asked, [[2]])[0] > s.coverage(asked, [[0]])[0]
    assert s.unknown(asked) < s.unknown(q("cài app"))


def test_question_words_do_not_count_and_a_group_pools_its_clauses():
    s = SubjectCoverage(CLAUSES)
    assert s.coverage(q("có được không"), [[0]]) == [0.0] and s.unknown(q("có được không")) == 0.0
    both = s.coverage(q("kinh doanh vắc xin"), [[0, 1]])[0]
    assert both == pytest.approx(1.0) and s.coverage(q("kinh doanh vắc xin"), [[0]])[0] < 1.0


# --- abstention ------------------------------------------------------------------------------

def test_words_the_documents_never_use_lower_the_bar_margin():
    a = Abstention(coverage_weight=0.1, unknown_weight=0.2, min_confidence=0.9)
    assert a.margin("hybrid", 0.9, 0.0, 0.0) == pytest.approx(0.0)
    assert a.margin("hybrid", 0.9, 0.5, 0.0) == pytest.approx(0.05)
    assert a.margin("hybrid", 0.9, 0.5, 0.5) == pytest.approx(-0.05)
    assert not a.on_topic("hybrid", 0.9, 0.5, 0.5) and a.on_topic("hybrid", 0.9, 0.5, 0.0)


# --- rules lead ------------------------------------------------------------------------------

REPORT = "Bước đầu đã xử phạt 1.359 trường hợp vi phạm ra ngoài không đúng quy định."
RULE = "Người dân chỉ ra ngoài khi thật sự cần thiết; không được tụ tập quá 2 người."
OTHER = "Chiều 10/5, Thường trực Thành ủy đã làm việc với Ban Cán sự Đảng."


def test_a_rule_within_reach_leads_a_report():
    lead = RulesLead(margin=0.5)
    assert lead.order("Tôi có được ra ngoài không?", [REPORT, OTHER, RULE], [10.0, 9.0, 6.0],
                      [True, True, True]) == [2, 0, 1]


@pytest.mark.parametrize("texts, scores, confident", [
    ([REPORT, RULE], [10.0, 4.0], [True, True]),  # too far behind
    ([REPORT, RULE], [10.0, 9.0], [True, False]),  # the rule does not clear the bar on its own
    ([RULE, REPORT], [10.0, 9.0], [True, True]),  # a rule already leads
    ([REPORT, OTHER], [10.0, 9.9], [True, True]),  # no rule among those shown
    ([REPORT, OTHER, OTHER, RULE], [10.0, 9.9, 9.8, 9.7], [True] * 4),  # the rule is not shown
])
def test_otherwise_the_order_stands(texts, scores, confident):
    assert RulesLead(margin=0.5).order("Tôi có được ra ngoài không?", texts, scores, confident) == \
        list(range(len(texts)))


def test_a_question_about_counts_or_penalties_keeps_its_report():
    assert asks_for_report("Đã phạt bao nhiêu người?") and asks_for_report("ra duong co bi phat ko")
    assert not asks_for_report("Tôi có được ra ngoài không?")
    assert RulesLead(0.5).order("ra ngoai co bi phat ko", [REPORT, RULE], [10.0, 9.0], [True, True]) == [0, 1]
    assert RulesLead(0.0).order("Tôi có được ra ngoài không?", [REPORT, RULE], [10.0, 9.9], [True, True]) == [0, 1]


DATELINE = "Ba Đình, ngày 31 tháng 7 năm 2021"


def test_a_dateline_answers_only_when_and_otherwise_goes_below_what_says_something():
    lead = RulesLead(margin=0.5)
    texts, scores, confident = [DATELINE, OTHER, RULE], [10.0, 6.0, 5.0], [True, True, True]
    assert lead.order("Ba Đình giãn cách theo chỉ thị nào?", texts, scores, confident) == [1, 2, 0]
    for asks in ("Chỉ thị của Quận ủy Ba Đình ra ngày nào?", "van ban ba dinh ky ngay may",
                 "chi thi ba dinh co hieu luc tu bao gio"):
        assert lead.order(asks, texts, scores, confident) == [0, 1, 2], asks


def test_below_the_dateline_a_rule_still_overtakes_a_report():
    assert RulesLead(0.5).order("Tôi có được ra ngoài không?", [DATELINE, REPORT, RULE], [10.0, 9.0, 8.0],
                                [True, True, True]) == [2, 1, 0]


@pytest.mark.parametrize("text", [
    "Hà Nội, ngày 5 tháng 10 năm 2021.",
    "  Ba Đình,  ngày 31 tháng 7 năm 2021 ",
])
def test_what_reads_as_a_dateline(text):
    assert is_dateline(text)


@pytest.mark.parametrize("text", [
    "Chiều 27/7, Thường trực Thành ủy, ngày 3 tháng 7 năm 2021",  # a dated sentence, not a dateline
    "Ngày 14/10, Bí thư Thành ủy đã ký ban hành Chỉ thị số 08.",
    "Ba Đình, ngày 31 tháng 7 năm 2021 ban hành Chỉ thị về phòng, chống dịch.",
    RULE,
])
def test_what_does_not(text):
    assert not is_dateline(text)


# --- sections --------------------------------------------------------------------------------

def chunks_of(text: str, source: str = "s") -> list[Chunk]:
    from retrieval.chunking import chunk_document
    return chunk_document(source, text)


def test_a_document_the_model_reads_whole_is_one_section():
    text = "Đoạn một nói về cách ly.\n\nĐoạn hai nói về tiêm vắc xin."
    cs = chunks_of(text)
    sections, of = split("s", "Tiêu đề", text, cs, fits=lambda t: True)
    assert len(sections) == 1 and of == [0] * len(cs)
    assert sections[0].text.startswith("Tiêu đề: ") and "cách ly" in sections[0].text and "vắc xin" in sections[0].text


def test_a_longer_document_is_cut_into_its_paragraphs():
    text = "Đoạn một nói về cách ly.\n\nĐoạn hai nói về tiêm vắc xin."
    cs = chunks_of(text)
    sections, of = split("s", "Tiêu đề", text, cs, fits=lambda t: False)
    assert len(sections) == 2 and of == [0, 1]
    assert all(text[s.start:s.end] in s.text for s in sections)


def test_sections_are_fused_like_the_sides_and_off_by_default():
    cos = np.array([0.9, 0.8, 0.7], np.float32)
    lex = np.array([1.0, 2.0, 3.0], np.float32)
    cand = np.array([0, 1, 2])
    scos, slex = np.array([0.1, 0.9, 0.5], np.float32), np.array([0.0, 5.0, 1.0], np.float32)
    plain = fuse(3, cand, cos, lex, np.zeros(3, np.float32), Ranking(coverage_boost=0))
    off = fuse(3, cand, cos, lex, np.zeros(3, np.float32), Ranking(coverage_boost=0), None, None, scos, slex)
    assert off.tolist() == plain.tolist()
    on = fuse(3, cand, cos, lex, np.zeros(3, np.float32), Ranking(coverage_boost=0, section_weight=1.0),
              None, None, scos, slex)
    assert on[cand] == pytest.approx(plain[cand] + 0.5 * standardise(scos) + 0.5 * standardise(slex))


# --- evaluation: hubs and kinds of unanswerable questions ------------------------------------

def test_hubs_count_who_comes_first_and_how_often_rightly():
    from retrieval.evaluation.gold import GoldQuestion
    from retrieval.evaluation.runner import Case, Outcome, hubs, summarise

    hub = Chunk("d:001", "d", 0, 5, "hub", "đoạn 1")
    other = Chunk("d:002", "d", 6, 10, "x", "đoạn 2")

    def outcome(i, answerable, first, relevant, abstained, topic="offtopic"):
        rec = GoldQuestion(f"q{i}", "?", answerable, True, "dev", topic)
        case = Case(f"q{i}", "?", answerable, True, 1, (), rec)
        return Outcome(case, "hybrid", [Hit(first, 1.0, 1)], [frozenset({0}) if relevant else frozenset()],
                       abstained, {}, 0.0)

    rows = [outcome(1, True, hub, True, False), outcome(2, True, hub, False, False),
            outcome(3, False, hub, False, False, "near-miss"), outcome(4, False, hub, False, True, "smalltalk"),
            outcome(5, True, other, True, False)]
    top = hubs(rows)
    assert [r["chunk"].id for r in top] == ["d:001", "d:002"]
    assert (top[0]["first"], top[0]["right"], top[0]["wrong"], top[0]["offtopic_answered"]) == (4, 1, 1, 1)
    s = summarise(rows)
    assert s["abstained_by_topic"] == {"near-miss": (0.0, 1), "smalltalk": (1.0, 1)}
    assert s["nearmiss_abstained"] == 0.0 and s["offtopic_abstained"] == 0.5


def test_the_first_quote_of_each_reply_is_checked_as_a_resident_reads_it():
    """The reply, not the ranking: a step that reorders citations after search shows up here."""
    from retrieval.evaluation import report
    from retrieval.evaluation.gold import Evidence, GoldQuestion
    from retrieval.evaluation.runner import Evaluation, first_quotes
    from retrieval.types import Answer, Citation, Source

    right = Chunk("d:001", "d", 0, 20, "chỉ ra ngoài khi cần", "đoạn 1")
    wrong = Chunk("d:002", "d", 21, 40, "đã xử phạt 1.359", "đoạn 2")
    src = Source("d", "Chỉ thị", "directive", "UBND", None, "Hà Nội")
    leads = {"a": wrong, "b": right, "c": None}

    def answer(question):
        c = leads[question]
        if c is None:
            return Answer(question, "no_match")
        return Answer(question, "answered", main=Citation(c.text, src, c.location, c.id, c.start, c.end, 1.0))

    engine = SimpleNamespace(index=SimpleNamespace(chunks=[right, wrong]), answer=answer)
    ev = (Evidence("d", "chỉ ra ngoài khi cần"),)
    questions = [GoldQuestion(q, q, True, True, "dev", "", ev) for q in "abc"]
    questions.append(GoldQuestion("x", "x", False, True, "dev", "offtopic"))  # not asked: no evidence
    counts = first_quotes(engine, questions)
    assert counts == {"answerable": 3, "relevant": 1, "not_relevant": 1, "not_answered": 1}
    table = report.first_quotes_table(Evaluation(("hybrid",), {"hybrid": []}, {"first_quotes": counts}))
    assert "| 3 | 1 (0.333) | 1 (0.333) | 1 (0.333) |" in table


def test_a_new_documents_figures_are_totalled_by_questions_and_the_unanswerable_by_index():
    from retrieval.evaluation import new_document

    rows = [{"document": "a", "n": 30, "n_unanswerable": 10, "recall@1": 1.0, "recall@3": 1.0, "mrr@10": 1.0,
             "wrong_abstained": 0.0, "unanswerable_abstained": 1.0},
            {"document": "b", "n": 10, "n_unanswerable": 10, "recall@1": 0.2, "recall@3": 0.6, "mrr@10": 0.4,
             "wrong_abstained": 0.4, "unanswerable_abstained": 0.8}]
    t = new_document.total(rows)
    assert t["n"] == 40 and t["recall@1"] == pytest.approx(0.8) and t["recall@3"] == pytest.approx(0.9)
    assert t["wrong_abstained"] == pytest.approx(0.1) and t["unanswerable_abstained"] == pytest.approx(0.9)
    text = new_document.table(rows + [t])
    assert "| `b` | 10 | 0.200 | 0.600 | 0.400 | 0.400 | 0.800 (of 10) |" in text
    assert "| **all** (unanswerable: mean over the indexes) | 40 | 0.800 | 0.900 |" in text


def test_two_gold_files_may_not_share_an_id(tmp_path):
    from retrieval.evaluation import gold
    from retrieval.evaluation.gold_file import load_golds

    line = '{"id": "x1", "split": "dev", "question": "?", "answerable": false, "evidence": []}\n'
    (tmp_path / "a.jsonl").write_text(line, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(line, encoding="utf-8")
    assert len(load_golds([tmp_path / "a.jsonl"], "dev")) == 1
    with pytest.raises(gold.GoldError, match="another gold file"):
        load_golds([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], "dev")
