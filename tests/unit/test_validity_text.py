"""Answers say whether their rule still holds, on the day asked: lapsed first, in force with its
date, old documents of unknown standing called old, news reports cited as reports of a rule."""
import json
from datetime import date
from types import SimpleNamespace

from bot.render import render
from bot.validity_text import is_stale, stale_after
from retrieval import answer as answering
from retrieval.types import Answer, Chunk, Citation, Hit, Source

OLD = Source("ct05", "Chỉ thị về phòng, chống sốt xuất huyết", "directive", "UBND Thành phố", date(2026, 9, 20),
             "Hà Nội", number="05/CT-UBND", effective_from=date(2026, 10, 1), superseded_by="ct09")
NEW = Source("ct09", "Chỉ thị về diệt lăng quăng", "directive", "UBND Thành phố", date(2026, 11, 25), "Hà Nội",
             number="09/CT-UBND", effective_from=date(2026, 12, 10), supersedes=("ct05",))
FLU = Source("tin22", "Hà Nội ban hành Chỉ thị 22", "report", "Báo Thủ đô", date(2026, 11, 20), "Hà Nội",
             reports_on="Chỉ thị số 22/CT-UBND", effective_from=date(2026, 12, 1), effective_until=date(2027, 2, 28))
TEXTS = {"ct05": "2. Diệt lăng quăng mỗi tuần một lần.", "ct09": "2. Diệt lăng quăng mỗi tuần hai lần.",
         "tin22": "Học sinh bị sốt, ho được nghỉ học ở nhà."}
INDEX = SimpleNamespace(texts=TEXTS, sources={s.id: s for s in (OLD, NEW, FLU)})


def answer(ids, day, question="Bao lâu diệt lăng quăng một lần?") -> Answer:
    hits = [Hit(Chunk(f"{sid}:001", sid, 0, len(TEXTS[sid]), TEXTS[sid], "mục 2"), 1.0 - i / 10, i + 1)
            for i, sid in enumerate(ids)]
    result = SimpleNamespace(abstained=False, hits=hits, query=SimpleNamespace(text=question), missing=None,
                             margin=None)
    return answering.build(INDEX, question, result, as_of=day)


def test_on_either_side_of_a_replacement_the_rule_in_force_leads_and_the_old_one_is_never_called_in_force():
    before = answer(["ct05", "ct09"], date(2026, 12, 9))  # ct09 signed, not yet in force
    assert [c.source.id for c in before.citations] == ["ct05", "ct09"]
    assert (before.main.status, before.more[0].status) == ("in_force", "not_yet")
    text = render(before)
    assert text.startswith("Quy định đang có hiệu lực (từ ngày 01/10/2026):")
    assert "Chưa có hiệu lực: có hiệu lực từ ngày 10/12/2026." in text

    after = answer(["ct05", "ct09"], date(2026, 12, 11))  # ranked first, but replaced: it no longer leads
    assert [c.source.id for c in after.citations] == ["ct09", "ct05"]
    assert (after.main.status, after.more[0].status) == ("in_force", "superseded")
    text = render(after)
    assert text.startswith("Quy định đang có hiệu lực (từ ngày 10/12/2026):")
    assert "Đã được thay thế bởi 09/CT-UBND từ ngày 10/12/2026." in text
    assert text.count("đang có hiệu lực") == 1


def test_with_no_rule_in_force_the_best_ranked_clause_leads_not_the_newest_document():
    # both lapsed (ct05 replaced, tin22's rule ended): rank order stands, the newer report second
    later = answer(["ct05", "tin22"], date(2027, 6, 1))
    assert [c.source.id for c in later.citations] == ["ct05", "tin22"]
    assert "mới nhất" not in render(later)
    # a rule in force still leads a better-ranked clause that is not
    now = answer(["tin22", "ct05"], date(2026, 10, 5))
    assert [c.source.id for c in now.citations] == ["ct05", "tin22"] and now.main.status == "in_force"


def test_a_question_answered_only_by_a_replaced_rule_says_so_first_naming_the_replacement():
    only = answer(["ct05"], date(2026, 12, 11))
    text = render(only)
    assert text.splitlines()[0] == ("Lưu ý: tính đến ngày 11/12/2026, quy định dưới đây đã được thay thế "
                                    "bởi 09/CT-UBND từ ngày 10/12/2026.")
    assert "đang có hiệu lực" not in text


def test_a_question_answered_only_by_an_expired_report_says_so_first_and_cites_it_as_a_report():
    text = render(answer(["tin22"], date(2027, 3, 5), "Học sinh bị sốt có được nghỉ học không?"))
    first, second = text.splitlines()[:2]
    assert first == ("Lưu ý: tính đến ngày 05/03/2027, quy định dưới đây đã hết hiệu lực từ ngày 01/03/2027 "
                     "(theo tin ngày 20/11/2026, Chỉ thị số 22/CT-UBND áp dụng đến hết ngày 28/02/2027).")
    assert "Theo tin ngày 20/11/2026 về Chỉ thị số 22/CT-UBND:" in text


def test_a_report_of_a_rule_in_force_is_cited_as_a_report_with_the_rule_dates():
    text = render(answer(["tin22"], date(2026, 12, 5), "Học sinh bị sốt có được nghỉ học không?"))
    assert text.startswith("Theo tin ngày 20/11/2026 về Chỉ thị số 22/CT-UBND:")
    assert "Theo tin này, quy định áp dụng từ ngày 01/12/2026 đến hết ngày 28/02/2027." in text


def test_ask_json_gives_each_citation_its_status_and_dates():
    d = json.loads(json.dumps(answer(["ct05", "ct09"], date(2026, 12, 11)).to_dict(), ensure_ascii=False))
    main, more = d["main"], d["more"][0]
    assert (main["status"], main["effective_from"], main["effective_until"], main["superseded_by"]) == (
        "in_force", "2026-12-10", None, None)
    assert (more["status"], more["effective_from"], more["superseded_by"], more["status_since"]) == (
        "superseded", "2026-10-01", "ct09", "2026-12-10")
    assert d["checked_on"] == "2026-12-11"


OLD_UNKNOWN = Source("bd", "Chỉ thị của Quận ủy", "directive", "Quận ủy Ba Đình", date(2021, 7, 31), "Hà Nội")


def test_an_old_document_of_unknown_standing_is_called_old_and_a_recent_one_is_not(monkeypatch):
    quote = "Tổ chức trực ban 24/24h."
    cite = Citation(quote, OLD_UNKNOWN, "mục 3", "bd:001", 0, len(quote), 0.9)
    text = render(Answer("q", "answered", main=cite, checked_on=date(2026, 11, 28)))
    assert text.splitlines()[0].startswith("Lưu ý: văn bản này từ năm 2021 (ngày 31/07/2021); quy định có thể đã "
                                           "thay đổi; bạn nên kiểm tra với đường dây nóng")
    assert "có thể đã thay đổi" not in render(Answer("q", "answered", main=cite, checked_on=date(2022, 5, 1)))
    monkeypatch.setenv("RULEBOT_STALE_AFTER", "6m")
    assert "có thể đã thay đổi" in render(Answer("q", "answered", main=cite, checked_on=date(2022, 5, 1)))


def test_a_lapsed_rule_from_old_documents_is_said_with_one_note_not_two():
    text = render(answer(["tin22"], date(2028, 3, 5), "Học sinh bị sốt có được nghỉ học không?"))
    first, second = text.splitlines()[:2]
    assert first.startswith("Lưu ý: tính đến ngày 05/03/2028, quy định dưới đây đã hết hiệu lực")
    assert second.startswith("Văn bản này từ năm 2026 (ngày 20/11/2026); quy định có thể đã thay đổi")
    assert text.count("Lưu ý") == 1


def test_the_stale_age_setting():
    assert stale_after("12") == (12, "m") and stale_after("400d") == (400, "d") and stale_after("x") == (12, "m")
    s = OLD_UNKNOWN
    assert not is_stale(s, date(2022, 7, 31), (12, "m")) and is_stale(s, date(2022, 8, 1), (12, "m"))
    assert is_stale(s, date(2021, 8, 2), (1, "d")) and not is_stale(s, date(2021, 8, 1), (1, "d"))


