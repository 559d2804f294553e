"""Wording and splitting of replies, shared by every channel."""
from datetime import date

from bot.render import Block, Plain, TelegramHTML, pack, render
from retrieval.types import Answer, Citation, Source

OLD = Source("a", "Văn bản A", "tin", "UBND", date(2021, 5, 10), "Hà Nội")
NEW = Source("b", "Chỉ thị B", "chỉ thị", "Thành ủy", date(2021, 10, 14), "Hà Nội", number="Chỉ thị số 08-CT/TU")


def cite(src, quote="Người dân chỉ ra ngoài khi thật sự cần thiết.", loc="mục 2"):
    return Citation(quote, src, loc, f"{src.id}:001", 0, len(quote), 1.0)


def test_an_answer_quotes_the_clause_and_names_title_number_issuer_date_and_place():
    text = render(Answer("q", "answered", main=cite(NEW)))
    assert "“Người dân chỉ ra ngoài khi thật sự cần thiết.”" in text
    assert "— Chỉ thị B, Chỉ thị số 08-CT/TU, Thành ủy, ngày 14/10/2021, mục 2" in text


def test_when_dates_differ_the_lead_says_which_is_newest_and_every_date_is_shown():
    text = render(Answer("q", "answered", main=cite(NEW), more=(cite(OLD),)))
    assert text.startswith("Văn bản mới nhất về việc này (ngày 14/10/2021) nêu:")
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
