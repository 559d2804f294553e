"""Clauses: exact slices of the original file, short enough to quote, labelled with their place."""
import pytest

from retrieval import settings
from retrieval.chunking import MAX_CHARS, chunk_document, join, overlap
from retrieval.corpus import load_manifest

DOCS = load_manifest(settings.DEFAULT_MANIFEST)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.source.id)
def test_every_chunk_is_the_original_slice_and_quotable(doc):
    chunks = chunk_document(doc.source.id, doc.text)
    assert chunks
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert 0 < len(c.text) <= MAX_CHARS
        assert c.text == c.text.strip()
        assert c.source_id == doc.source.id and c.location
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(c.id for c in chunks)) == len(chunks)
    for a, b in zip(chunks, chunks[1:]):
        assert a.end <= b.start or a.location == b.location  # windows overlap only within a paragraph
        assert not (b.start >= a.start and b.end <= a.end)  # and none is inside another


def test_numbered_items_of_the_directive_are_labelled_as_items():
    doc = next(d for d in DOCS if d.source.id == "chi-thi-quan-uy-ba-dinh-2021-07-31")
    chunks = chunk_document(doc.source.id, doc.text)
    by_start = {c.text[:2]: c.location for c in chunks if c.text[:1].isdigit()}
    assert by_start["3."] == "mục 3"
    item4 = [c for c in chunks if "“4 tại chỗ”" in c.text]
    assert item4 and item4[0].location == "mục 4"
    assert all(c.heading and c.heading.startswith("CHỈ THỊ về tăng cường") for c in chunks if c.location.startswith("mục"))


def test_paragraphs_of_a_news_report_are_numbered_and_sit_under_their_heading():
    doc = next(d for d in DOCS if d.source.id == "hop-so-chi-huy-chi-thi-17-2021-07-28")
    chunks = chunk_document(doc.source.id, doc.text)
    out = next(c for c in chunks if "chỉ ra ngoài khi thật sự cần thiết" in c.text)
    assert out.location.startswith("đoạn ")
    assert out.heading == "KHÔNG ĐỂ TÌNH TRẠNG “NGOÀI CHẶT, TRONG LỎNG”"


def test_a_sentence_cut_by_a_page_break_stays_one_clause():
    doc = next(d for d in DOCS if d.source.id == "chi-thi-quan-uy-ba-dinh-2021-07-31")
    chunks = chunk_document(doc.source.id, doc.text)
    assert any("phải\n\ncùng vào cuộc" in c.text for c in chunks)


def test_long_paragraphs_are_cut_between_sentences_and_tiny_text_stays_whole():
    text = "Câu thứ nhất rất dài " + "và dài " * 40 + "kết thúc. " + "Câu thứ hai cũng dài " + "nữa " * 60 + "hết."
    chunks = chunk_document("x", text)
    assert len(chunks) >= 2 and all(len(c.text) <= MAX_CHARS for c in chunks)
    assert chunks[0].text.endswith("kết thúc.") and chunks[-1].text.startswith("Câu thứ hai")
    assert [c.text for c in chunk_document("y", "Một câu ngắn.")] == ["Một câu ngắn."]


def test_one_unbroken_run_longer_than_a_clause_is_still_cut_into_exact_slices():
    text = "Mở đầu.\n" + "x" * 1000 + "."
    chunks = chunk_document("z", text)
    assert all(text[c.start:c.end] == c.text and len(c.text) <= MAX_CHARS for c in chunks)
    assert chunks[0].text.startswith("Mở đầu.") and chunks[-1].text.endswith("x.")


def test_a_short_line_with_nothing_under_it_is_content_not_a_heading():
    assert [c.text for c in chunk_document("a", "Có")] == ["Có"]
    doc = next(d for d in DOCS if d.source.id == "chi-thi-quan-uy-ba-dinh-2021-07-31")
    first = chunk_document(doc.source.id, doc.text)[0]
    assert first.text == "Ba Đình, ngày 31 tháng 7 năm 2021"


def test_overlapping_windows_join_into_one_exact_slice_under_the_first_label():
    doc = max(DOCS, key=lambda d: len(d.text))
    chunks = chunk_document(doc.source.id, doc.text)
    a, b = next((a, b) for a, b in zip(chunks, chunks[1:]) if overlap(a, b))
    for first, second in ((a, b), (b, a)):
        passage = join([first, second], doc.text)
        assert passage.text == doc.text[a.start:b.end] and (passage.start, passage.end) == (a.start, b.end)
        assert (passage.id, passage.location, passage.heading) == (first.id, first.location, first.heading)
