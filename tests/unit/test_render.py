"""Wording and splitting of replies, shared by every channel."""
from datetime import date

import pytest

from bot.render import Block, Plain, TelegramHTML, pack, render
from retrieval.answer import focus
from retrieval.types import Answer, Citation, Source

OLD = Source("a", "Văn bản A", "tin", "UBND", date(2021, 5, 10), "Hà Nội")
NEW = Source("b", "Chỉ thị B", "chỉ thị", "Thành ủy", date(2021, 10, 14), "Hà Nội", number="Chỉ thị số 08-CT/TU")


def cite(src, quote="Người dân chỉ ra ngoài khi thật sự cần thiết.", loc="mục 2"):
    return Citation(quote, src, loc, f"{src.id}:001", 0, len(quote), 1.0)


def test_an_answer_quotes_the_clause_and_names_title_number_issuer_date_and_place():
    text = render(Answer("q", "answered", main=cite(NEW)))
    assert "“Người dân chỉ ra ngoài khi thật sự cần thiết.”" in text
    assert "— Chỉ thị B, Chỉ thị số 08-CT/TU, Thành ủy, ngày 14/10/2021, mục 2" in text


def test_when_dates_differ_the_lead_says_whether_it_is_the_newest_and_every_date_is_shown():
    # Asked while both were recent: old documents would be flagged first (test_validity_text).
    text = render(Answer("q", "answered", main=cite(NEW), more=(cite(OLD),), checked_on=date(2021, 10, 20)))
    assert text.startswith("Văn bản mới nhất về việc này (ngày 14/10/2021) nêu:")
    assert "10/05/2021" in text and "14/10/2021" in text
    # the best-ranked clause leads whatever its date: then it is not called the newest
    text = render(Answer("q", "answered", main=cite(OLD), more=(cite(NEW),), checked_on=date(2021, 10, 20)))
    assert text.startswith("Quy định liên quan nhất mình tìm được:") and "mới nhất" not in text
    assert "10/05/2021" in text and "14/10/2021" in text


def test_an_abstention_says_so_and_points_to_the_hotline():
    text = render(Answer("q", "no_match", as_of=date(2021, 7, 1)))
    assert "chưa tìm thấy quy định" in text and "01/07/2021" in text and "1900 9095" in text


def test_long_blocks_are_split_under_the_limit_without_breaking_markup():
    for renderer, limit in ((TelegramHTML(), 4096), (Plain(), 2000)):
        for text in ("Câu dài. " * 1500, "&<>" * 3000, "x" * 9000):
            parts = pack([Block("text", "Mở đầu"), Block("quote", text)], renderer, limit)
            assert parts and all(len(p) <= limit for p in parts)
            if isinstance(renderer, TelegramHTML):
                assert all(p.count("<blockquote>") == p.count("</blockquote>") for p in parts)


LONG = ("Các cấp, các ngành đồng loạt tăng cường kiểm tra, giám sát đột xuất, bất ngờ trên toàn địa bàn, "
        "bảo đảm chặt chẽ từ cơ sở và từng tổ dân phố, từng khu dân cư. Trọng tâm là việc chấp hành của người "
        "dân đối với quy định “chỉ ra ngoài khi thật sự cần thiết” và số người đi làm của các cơ quan.")


def test_a_further_clause_is_shortened_around_the_sentence_the_question_is_about():
    f = focus(LONG, "toi co duoc ra ngoai khong")
    assert LONG[f[0]:f[1]].startswith("Trọng tâm") and LONG[f[0]:f[1]].endswith("cơ quan.")
    more = Citation(LONG, OLD, "đoạn 3", "a:003", 0, len(LONG), 0.5, focus=f)
    text = render(Answer("q", "answered", main=cite(NEW), more=(more,)))
    assert "“… Trọng tâm là việc chấp hành" in text and "thật sự cần thiết”" in text


def test_without_a_focus_a_further_clause_is_cut_after_its_opening_words():
    more = Citation(LONG, OLD, "đoạn 3", "a:003", 0, len(LONG), 0.5)
    text = render(Answer("q", "answered", main=cite(NEW), more=(more,)))
    assert "“Các cấp, các ngành" in text and "chấp hành của người …”" in text
    assert focus(LONG, "giá vàng hôm nay") is None  # no sentence shares a word: no focus


def test_an_abstention_on_a_figure_says_the_documents_do_not_give_it():
    text = render(Answer("Phạt bao nhiêu tiền?", "no_match", missing="money"))
    assert "không nêu số tiền cụ thể" in text and "đường dây nóng" in text


def test_an_abstention_on_another_one_says_what_the_closest_clause_names_instead():
    text = render(Answer("Tiêm mũi 3 ở đâu?", "no_match", other=("mũi 3", "mũi 2")))
    assert "chưa tìm thấy quy định về mũi 3" in text and "đoạn gần nhất nói về mũi 2" in text
    assert "đường dây nóng" in text and "“" not in text  # no quote


@pytest.mark.parametrize("kind", ["greeting", "thanks", "identity", "ack", "bye", "laughter", "emoji", None])
def test_small_talk_gets_what_the_bot_can_do_and_examples_never_a_quote(kind):
    from bot import messages as msg

    answer = Answer("cảm ơn", "small_talk", notice=kind)
    text = render(answer)
    assert msg.EXAMPLES[0] in text and msg.EXAMPLES[1] in text
    assert "“" not in text.replace(msg.EXAMPLES[1], "") and "—" not in text  # no quote, no source line
    assert answer.abstained and not answer.citations
