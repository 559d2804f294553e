"""The officials' document store: real files added, retired and removed; bad input changes nothing."""
from datetime import date, timedelta
from pathlib import Path

import pytest

from retrieval.documents import DocumentError, NewDocument, Store, infer_kind
from retrieval.validity import status
from tests import doc_files as f


def snapshot(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != ".lock"} \
        if root.exists() else {}


def add(store: Store, new: NewDocument):
    with store.lock():
        p = store.prepare(new)
        store.write_files(p)
        store.commit_add(p)
    return p


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")


def decision(tmp_path, **kw) -> NewDocument:
    args = dict(title="Quyết định về phòng, chống dịch cúm gia cầm", issuer="UBND thành phố Hà Nội",
                signed=date(2026, 11, 2), number="41/QĐ-UBND", effective_from=date(2026, 11, 2))
    return NewDocument(f.decision_docx(tmp_path / "qd.docx"), **{**args, **kw})


def test_an_added_document_keeps_its_extracted_text_as_the_source_of_truth(tmp_path, store):
    p = add(store, decision(tmp_path))
    e = store.get(p.source.id)
    assert (e.origin, p.source.kind) == ("added", "decision")  # from "QĐ" in its number
    stored = (store.root / p.source.path).read_text(encoding="utf-8")
    assert stored == e.document.text and f"a) {f.BAN_LIVE_POULTRY}" in stored
    assert (store.root / e.original).read_bytes() == (tmp_path / "qd.docx").read_bytes()
    assert all(stored[c.start:c.end] == c.text for c in p.chunks)
    assert len(store.entries()) == 6  # the five shipped ones, then this one
    assert status(e.document.source, date(2026, 11, 28), {}).code == "in_force"


@pytest.mark.parametrize("change, message", [
    (dict(same_text=True, number="42/QĐ-UBND"), "already in the store"),
    (dict(signed=date.today() + timedelta(days=400)), "more than a year in the future"),
    (dict(effective_until=date.today() + timedelta(days=500)), "more than a year in the future"),
    (dict(effective_from=date(2026, 12, 1), effective_until=date(2026, 11, 1)), "before effective_from"),
    (dict(supersedes=("no-such-document",)), "unknown document id 'no-such-document'"),
    (dict(kind="memo"), "--kind must be one of"),
    (dict(id="Bad Id!"), "--id 'Bad Id!'"),
    (dict(title=" "), "--title is required"),
])
def test_a_bad_add_is_refused_and_changes_nothing(tmp_path, store, change, message):
    add(store, decision(tmp_path))
    before = snapshot(store.root)
    same = change.pop("same_text", False)
    other = tmp_path / "other"
    other.mkdir()
    new = decision(other, **{"number": "42/QĐ-UBND", **change})
    if not same:  # a different text, so only the change under test is wrong
        f.decision_docx(new.file, extra="Điều 4. Chánh Văn phòng UBND Thành phố thi hành Quyết định này.")
    with pytest.raises(DocumentError, match=message):
        store.prepare(new)
    assert snapshot(store.root) == before


def test_a_second_document_with_the_same_number_in_the_same_year_is_refused(tmp_path, store):
    add(store, decision(tmp_path))
    other = tmp_path / "ct.pdf"
    with pytest.raises(DocumentError, match="numbered '41/QĐ-UBND' of 2026 is already"):
        store.prepare(NewDocument(f.directive_pdf(other), "Khác", "UBND", date(2026, 5, 1),
                                  number="Quyết định số 41/QĐ-UBND", kind="decision"))
    store.prepare(NewDocument(other, "Khác", "UBND", date(2025, 5, 1), number="41/QĐ-UBND", kind="decision"))


@pytest.mark.parametrize("name, data, message", [
    ("empty.docx", b"", "empty"), ("scan.pdf", None, "no text layer"), ("table.xlsx", b"x", "unsupported"),
])
def test_bad_files_change_nothing(tmp_path, store, name, data, message):
    path = tmp_path / name
    if data is None:
        f.scanned_pdf(path, tmp_path)
    else:
        path.write_bytes(data)
    with pytest.raises(DocumentError, match=message):
        store.prepare(NewDocument(path, "T", "UBND", date(2026, 1, 1), kind="directive"))
    assert snapshot(store.root) == {}


def test_retire_records_a_change_and_names_the_replacement_and_refuses_contradictions(tmp_path, store):
    p = add(store, decision(tmp_path))
    ct17 = "hop-so-chi-huy-chi-thi-17-2021-07-28"
    s = store.retire("chi-thi-quan-uy-ba-dinh-2021-07-31", date(2021, 12, 31), replaced_by=p.source.id)
    assert s.effective_until == date(2021, 12, 31) and s.superseded_by == p.source.id
    docs = {e.document.source.id: e.document.source for e in store.entries()}
    assert docs[p.source.id].supersedes == ("chi-thi-quan-uy-ba-dinh-2021-07-31",)
    st = status(docs["chi-thi-quan-uy-ba-dinh-2021-07-31"], date(2022, 1, 1), docs)
    assert (st.code, st.since, st.superseded_by) == ("superseded", date(2022, 1, 1), p.source.id)
    before = snapshot(store.root)
    for args, message in (((ct17, date(2021, 7, 1)), "before the day it took effect"),
                          ((p.source.id, date(2026, 12, 1), "chi-thi-quan-uy-ba-dinh-2021-07-31"), "circle"),
                          (("nobody", date(2026, 1, 1)), "No document with id 'nobody'"),
                          ((ct17, date(2026, 1, 1), "nobody"), "--replaced-by: no document")):
        with pytest.raises(DocumentError, match=message):
            store.retire(*args)
    assert snapshot(store.root) == before


def test_remove_takes_an_added_document_out_but_never_a_shipped_or_referred_one(tmp_path, store):
    p = add(store, decision(tmp_path))
    store.retire("chi-thi-quan-uy-ba-dinh-2021-07-31", date(2021, 12, 31), replaced_by=p.source.id)
    before = snapshot(store.root)
    with pytest.raises(DocumentError, match="refers to it"):
        store.remove(p.source.id)
    with pytest.raises(DocumentError, match="shipped with rulebot"):
        store.remove("chi-thi-quan-uy-ba-dinh-2021-07-31")
    assert snapshot(store.root) == before
    other = add(store, NewDocument(f.directive_pdf(tmp_path / "ct.pdf"), "Chỉ thị về sốt xuất huyết", "UBND",
                                   date(2026, 10, 1), number="05/CT-UBND"))
    assert other.source.kind == "directive"
    store.remove(other.source.id)
    assert [e.document.source.id for e in store.entries()][-1] == p.source.id
    assert not (store.root / other.source.path).exists()


def test_a_hand_broken_store_manifest_names_the_line(tmp_path, store):
    add(store, decision(tmp_path))
    text = store.manifest.read_text(encoding="utf-8")
    store.manifest.write_text(text + '\n[[change]]\nid = "nobody"\neffective_until = 2026-01-01\n', encoding="utf-8")
    line = len((text + "\n").splitlines()) + 1
    with pytest.raises(Exception, match=f"manifest.toml:{line}: change #1: unknown document id 'nobody'"):
        store.entries()


def test_the_kind_is_read_from_the_number_or_the_heading():
    assert infer_kind("", "17/CT-UBND") == "directive" and infer_kind("", "Quyết định số 41/QĐ-UBND") == "decision"
    assert infer_kind("ỦY BAN NHÂN DÂN\nCHỈ THỊ\nVề việc…", None) == "directive"
    assert infer_kind("Số: 12/UBND-KGVX\nV/v tăng cường phòng dịch", "12/UBND-KGVX") == "letter"
    assert infer_kind("Sáng nay, thành phố đã họp.", None) is None


def test_a_document_with_officials_faq_lines_is_not_removed_and_the_lines_are_named(tmp_path, store, monkeypatch):
    import json

    from bot import document_ops

    p = add(store, decision(tmp_path))
    faq = tmp_path / "faq-officials.jsonl"
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (
        {"source_id": "chi-thi-quan-uy-ba-dinh-2021-07-31", "span": "x", "ask": ["y"]},
        {"source_id": p.source.id, "span": "x", "ask": ["y"]})) + "\n", encoding="utf-8")
    monkeypatch.setenv("RULEBOT_OFFICIALS_FAQ", str(faq))

    class NoIndex:  # reaching the index would mean the check came too late
        def stage(self, docs):
            raise AssertionError("staged")

    before = snapshot(store.root)
    with pytest.raises(DocumentError, match=r"line\(s\) 2\)") as e:
        document_ops.remove(store, p.source.id, NoIndex())
    assert e.value.reason == "has_officials_faq" and snapshot(store.root) == before


def test_removing_a_document_queues_the_answers_that_quoted_it_for_review(tmp_path, store, monkeypatch):
    """As adding and retiring do, from the command line too: in $RULEBOT_LOG when no log is named."""
    from types import SimpleNamespace

    from bot import document_ops
    from bot.exchange_log import ExchangeLog
    from bot.rereview import pending

    p = add(store, decision(tmp_path))
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    xid = log.question("telegram", 1, "Có được bán gia cầm sống không?")
    cited = SimpleNamespace(chunk_id=f"{p.source.id}:000", score=0.9)
    log.answered(xid, SimpleNamespace(citations=[cited], status="answered", abstained=False), 10.0)

    class Target:  # the index side is not what is checked here
        def stage(self, docs):
            return docs

        def publish(self, staged):
            return None

    monkeypatch.setenv("RULEBOT_LOG", str(tmp_path / "log.db"))
    s, updated, flagged = document_ops.remove(store, p.source.id, Target())
    assert (s.id, updated, flagged) == (p.source.id, None, 1)
    assert [(i.exchange_id, i.source_id) for i in pending(tmp_path / "log.db")] == [(xid, p.source.id)]
