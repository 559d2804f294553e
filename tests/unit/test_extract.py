"""Text out of real .docx, .pdf and .html files built here, and clear refusals of bad files."""
from pathlib import Path

import pytest

from retrieval.chunking import chunk_document
from retrieval.extract import ExtractError, extract
from tests import doc_files as f

pytestmark = pytest.mark.skipif(not f.DEJAVU.is_file(), reason="needs fonts-dejavu-core (apt-get install fonts-dejavu-core)")


def test_a_word_decision_keeps_its_articles_clauses_points_and_word_numbering(tmp_path):
    got = extract(f.decision_docx(tmp_path / "qd.docx"))
    assert got.format == "docx" and got.title == "Quyết định về phòng, chống dịch cúm gia cầm"
    assert f"a) {f.BAN_LIVE_POULTRY}" in got.text
    assert f"1. {f.REPORT_SICK_BIRDS}" in got.text  # Word's own list number, written out
    assert "2. Người chăn nuôi không được vứt xác" in got.text
    labels = {c.text: c.location for c in chunk_document("qd", got.text)}
    assert labels[f"a) {f.BAN_LIVE_POULTRY}"] == "Điều 1, khoản 2, điểm a"
    assert labels[f"1. {f.REPORT_SICK_BIRDS}"] == "Điều 2, khoản 1"
    assert labels["Quyết định này có hiệu lực kể từ ngày ký."] == "Điều 3"


def test_a_pdf_with_vietnamese_text_comes_back_as_whole_clauses(tmp_path):
    got = extract(f.directive_pdf(tmp_path / "ct.pdf"))
    assert got.format == "pdf" and got.pages == 1
    assert f"2. {f.LARVAE_OLD}" in got.text  # wrapped lines joined back, diacritics intact
    chunks = chunk_document("ct", got.text)
    larvae = next(c for c in chunks if "lăng quăng" in c.text)
    assert larvae.location == "mục 2" and larvae.text == f"2. {f.LARVAE_OLD}"
    assert all(got.text[c.start:c.end] == c.text for c in chunks)


def test_a_web_page_loses_its_menu_related_news_and_footer(tmp_path):
    got = extract(f.report_html(tmp_path / "tin.html"))
    assert got.format == "html" and str(got.date) == "2026-11-20"
    assert f.SCHOOL_SICK in got.text
    for boilerplate in f.NAV_WORDS + ("Tin liên quan", "300 ca cúm"):
        assert boilerplate not in got.text
    assert [c.location for c in chunk_document("tin", got.text)][:2] == ["đoạn 1", "đoạn 2"]


def _write(name, data):
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name
    return make


@pytest.mark.parametrize("make, message", [
    (_write("empty.pdf", b""), "empty"),
    (_write("notes.xlsx", b"PK\x03\x04"), "unsupported file type"),
    (_write("broken.docx", b"not a zip"), "cannot be read as a Word"),
    (_write("blank.txt", "   \n\n 12 \n".encode()), "no text"),
    (_write("utf16.txt", "Chỉ thị".encode("utf-16")), "not UTF-8"),
    (lambda d: f.scanned_pdf(d / "scan.pdf", d), "no text layer"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, make, message):
    with pytest.raises(ExtractError, match=message):
        extract(make(tmp_path))
