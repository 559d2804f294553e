"""The manifest: every source is described by hand, and a broken entry is refused clearly."""
from datetime import date
from pathlib import Path

import pytest

from retrieval import settings
from retrieval.corpus import CorpusError, checksum, load_jsonl, load_manifest

SHARED = settings.REPO.parent / "shared" / "corpus"


def test_the_manifest_describes_all_five_sources_with_dates_read_from_the_texts():
    docs = {d.source.id: d for d in load_manifest(settings.DEFAULT_MANIFEST)}
    assert len(docs) == 5
    assert docs["chi-thi-quan-uy-ba-dinh-2021-07-31"].source.date == date(2021, 7, 31)
    assert docs["chi-thi-08-ct-tu-2021-10-14"].source.date == date(2021, 10, 14)
    assert docs["chi-thi-08-ct-tu-2021-10-14"].source.number == "Chỉ thị số 08-CT/TU"
    for d in docs.values():
        assert d.source.title and d.source.issuer and d.source.kind and d.source.place


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared corpus not beside the repo")
def test_sources_are_byte_for_byte_copies_of_the_shared_corpus():
    for f in SHARED.glob("*.txt"):
        assert (settings.REPO / "data" / "sources" / f.name).read_bytes() == f.read_bytes()


def _manifest(tmp_path: Path, body: str) -> Path:
    (tmp_path / "a.txt").write_text("Văn bản.", encoding="utf-8")
    p = tmp_path / "sources.toml"
    p.write_text(body, encoding="utf-8")
    return p


ENTRY = '[[source]]\nid = "{id}"\nfile = "{file}"\ntitle = "T"\nkind = "chỉ thị"\nissuer = "UBND"\ndate = {date}\nplace = "Hà Nội"\n'


@pytest.mark.parametrize("body, message", [
    (ENTRY.format(id="a", file="missing.txt", date="2021-07-31"), "file not found"),
    (ENTRY.format(id="a", file="a.txt", date='"31/7/2021"'), "bad date"),
    (ENTRY.format(id="a", file="a.txt", date="2021-07-31") * 2, "duplicate id"),
    (ENTRY.format(id="a", file="a.txt", date="2021-07-31").replace('issuer = "UBND"\n', ""), "missing 'issuer'"),
    ("not toml [", "not valid TOML"),
])
def test_a_broken_manifest_entry_is_refused_with_a_clear_error(tmp_path, body, message):
    with pytest.raises(CorpusError, match=message):
        load_manifest(_manifest(tmp_path, body))


def test_a_jsonl_corpus_loads_and_rejects_bad_lines(tmp_path):
    good = tmp_path / "c.jsonl"
    good.write_text('{"id": 1, "title": "A", "text": "Một.", "date": "2021-01-02"}\n'
                    '{"id": "2", "title": "B", "text": "Hai."}\n', encoding="utf-8")
    docs = load_jsonl(good)
    assert [d.source.id for d in docs] == ["1", "2"] and docs[0].source.date == date(2021, 1, 2)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "title": "A"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="missing 'text'"):
        load_jsonl(bad)


def test_the_checksum_changes_when_a_text_changes():
    docs = load_manifest(settings.DEFAULT_MANIFEST)
    before = checksum(docs)
    from retrieval.corpus import Document
    changed = [Document(docs[0].source, docs[0].text + " ")] + docs[1:]
    assert checksum(changed) != before
