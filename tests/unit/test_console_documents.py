"""The console's document pages over HTTP: list with status, upload → preview → publish, retire.

A fake engine and a fake index target (no model): the store, the uploads, the re-review queue,
the audit trail and the background job are the real ones; the engine picked up after a publish
is a FakeEngine over the store's documents, so asking it finds the new clause.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from console_fakes import csrf_of, logged_in, rig

from bot.rereview import pending
from tests import doc_files as f

TITLE = "Quyết định về phòng, chống dịch cúm gia cầm"
META = {"title": TITLE, "number": "41/QĐ-UBND", "issuer": "UBND thành phố Hà Nội", "signed": "2026-11-02",
        "kind": "", "effective_from": "2026-11-02", "effective_until": "", "supersedes": ""}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _preview(c, path: Path, name: str | None = None, meta: dict | None = None, csrf: str | None = None):
    token = csrf if csrf is not None else csrf_of(c.get("/documents/new").text)
    data = {**META, **(meta or {})}
    if token:
        data["csrf"] = token
    with open(path, "rb") as fh:
        return c.post("/documents/new", data=data, files={"file": (name or path.name, fh, DOCX)})


def _token(html: str) -> str:
    m = re.search(r'name="token" value="([^"]+)"', html)
    assert m, "no publish form on the page"
    return m.group(1)


def _publish(r, c, token: str):
    resp = c.post("/documents/publish", data={"csrf": csrf_of(c.get("/documents").text), "token": token})
    assert resp.status_code == 303
    state = r.rebuilder.wait(30)
    return resp, state


@pytest.fixture
def world(tmp_path):
    r = rig(tmp_path)
    files = tmp_path / "files"
    files.mkdir()
    return r, files


def test_the_list_shows_every_document_with_its_status_today_and_clause_count(world):
    r, _ = world
    c = logged_in(r, "rita")
    page = c.get("/documents").text
    assert 'href="/documents"' in page and ">Văn bản</a>" in page  # in the nav
    index = r.holder.engine.index
    for s in index.sources.values():
        assert f'href="/documents/{s.id}"' in page
        n = sum(ch.source_id == s.id for ch in index.chunks)
        assert re.search(rf'href="/documents/{re.escape(s.id)}".*?class="num">{n}</td>', page, re.DOTALL)
    # Chỉ thị 17's distancing (as reported) ended on 7/8/2021; the other shipped texts say nothing of their end
    assert page.count("Hết hiệu lực từ 08/08/2021") == 1
    assert "Chưa rõ hiệu lực" in page
    assert "/documents/new" not in page  # a reviewer is offered no upload
    some = next(iter(index.sources.values()))
    detail = c.get(f"/documents/{some.id}").text
    assert some.title in detail
    assert "Các đoạn" in detail and 'action="/documents/' not in detail  # no retire form for a reviewer


def test_preview_shows_labelled_clauses_and_writes_nothing(world):
    r, files = world
    c = logged_in(r, "eddie")
    before = r.holder.engine
    resp = _preview(c, f.decision_docx(files / "qd.docx"))
    assert resp.status_code == 200, resp.text
    page = resp.text
    assert "Điều 1, khoản 2, điểm a" in page and f.BAN_LIVE_POULTRY in page
    assert "Quyết định" in page  # the kind, read from the number's type code
    assert "Loại văn bản nhận ra từ nội dung" in page
    store = r.app.state.console.desk.store
    assert not store.manifest.exists() and not (store.root / "texts").exists()
    assert r.holder.engine is before and r.rebuilder.state.phase == "idle"
    kept = _files_under(store.root / ".uploads")
    assert [p.name for p in kept] == ["meta.json", "upload.docx"]  # server-side only, named by the server
    assert _token(page) in str(kept[0])


def test_publish_adds_the_document_and_the_engine_finds_its_clause(world):
    r, files = world
    c = logged_in(r, "eddie")
    question = "Có được buôn bán gia cầm sống tại các chợ nội thành không?"
    assert all(h.chunk.source_id != "41-qd-ubnd-2026-11-02" for h in r.holder.engine.search(question).hits)
    token = _token(_preview(c, f.decision_docx(files / "qd.docx")).text)
    _, state = _publish(r, c, token)
    assert state.phase == "done", state.message
    assert "Đã thêm" in state.message and "41-qd-ubnd-2026-11-02" in state.message
    page = c.get("/documents").text
    assert TITLE in page and "Đang có hiệu lực từ 02/11/2026" in page
    n = sum(ch.source_id == "41-qd-ubnd-2026-11-02" for ch in r.holder.engine.index.chunks)
    assert n >= 5 and re.search(rf'{re.escape(TITLE)}</a>.*?class="num">{n}</td>', page, re.DOTALL)
    hit = r.holder.engine.search(question).hits[0]
    assert hit.chunk.source_id == "41-qd-ubnd-2026-11-02" and f.BAN_LIVE_POULTRY in hit.chunk.text
    assert r.holder.generation == 1
    store = r.app.state.console.desk.store
    assert (store.root / "texts" / "41-qd-ubnd-2026-11-02.txt").is_file()
    assert _files_under(store.root / ".uploads") == []  # the upload is gone once published
    detail = c.get("/documents/41-qd-ubnd-2026-11-02").text
    assert "Điều 1, khoản 2, điểm a" in detail and "Cho hết hiệu lực" in detail
    actions = {a["action"] for a in r.officials.audit(actor="eddie")}
    assert {"documents.publish", "documents.add"} <= actions
    # the same token cannot publish twice
    again = c.post("/documents/publish", data={"csrf": csrf_of(page), "token": token})
    assert again.status_code == 303 and again.headers["location"] == "/documents/new"


def test_retire_changes_the_status_and_queues_answers_that_cited_it(world):
    r, _ = world
    ex = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    sid = ex.answer.main.source.id
    c = logged_in(r, "eddie")
    page = c.get(f"/documents/{sid}").text
    until = date.today() - timedelta(days=1)
    resp = c.post(f"/documents/{sid}/retire", data={"csrf": csrf_of(page), "until": until.isoformat()})
    assert resp.status_code == 303 and resp.headers["location"] == f"/documents/{sid}"
    detail = c.get(f"/documents/{sid}").text
    assert "1 câu trả lời trong 90 ngày qua" in detail  # the flash
    assert f"Hết hiệu lực từ {date.today():%d/%m/%Y}" in detail
    assert f"/review/{ex.id}" in detail  # queued for re-review, linked
    assert [p.exchange_id for p in pending(r.tmp / "log.db")] == [ex.id]
    assert r.holder.engine.index.sources[sid].effective_until == until  # the engine in use knows
    assert any(a["action"] == "documents.retire" and a["target"] == sid for a in r.officials.audit(actor="eddie"))


def test_a_retirement_written_while_a_full_rebuild_runs_holds_on_the_rebuilt_engine(world):
    """The rebuild read the documents before the retirement; the engine it swaps in must not show
    the document in force again."""
    import threading

    r, _ = world
    sid = next(iter(r.holder.engine.index.sources))
    started, gate = threading.Event(), threading.Event()
    build = r.rebuilder._build

    def slow_build(*a):
        started.set()
        gate.wait(10)
        return build(*a)

    r.rebuilder._build = slow_build
    r.rebuilder.request("eddie")  # as after an FAQ line is added
    assert started.wait(10)
    c = logged_in(r, "eddie")
    until = date.today() - timedelta(days=1)
    resp = c.post(f"/documents/{sid}/retire", data={"csrf": csrf_of(c.get(f"/documents/{sid}").text),
                                                    "until": until.isoformat()})
    assert resp.status_code == 303
    gate.set()
    assert r.rebuilder.wait(10).phase == "done" and r.holder.generation == 1
    assert r.holder.engine.index.sources[sid].effective_until == until
    assert f"Hết hiệu lực từ {date.today():%d/%m/%Y}" in c.get(f"/documents/{sid}").text


def test_a_retirement_the_store_refuses_is_said_politely_and_changes_nothing(world):
    r, _ = world
    sid = next(iter(r.holder.engine.index.sources))
    c = logged_in(r, "eddie")
    token = csrf_of(c.get(f"/documents/{sid}").text)
    far = date.today() + timedelta(days=800)
    for data in ({"until": far.isoformat()}, {"until": "31/12/2026"}, {"until": "2026-12-31", "replaced_by": "nope"}):
        resp = c.post(f"/documents/{sid}/retire", data={"csrf": token, **data})
        assert resp.status_code == 303
        page = c.get(f"/documents/{sid}").text
        assert 'class="flash error"' in page
    assert not r.app.state.console.desk.store.manifest.exists()


SID = "41-qd-ubnd-2026-11-02"


def _remove(c, sid: str, confirm: bool = True):
    data = {"csrf": csrf_of(c.get(f"/documents/{sid}").text)}
    if confirm:
        data["confirm"] = "yes"
    return c.post(f"/documents/{sid}/remove", data=data)


def test_a_wrong_upload_is_removed_from_the_store_and_the_engine_once_confirmed(world):
    r, files = world
    c = logged_in(r, "eddie")
    _, state = _publish(r, c, _token(_preview(c, f.decision_docx(files / "qd.docx")).text))
    assert state.phase == "done", state.message
    assert "Xoá văn bản" in c.get(f"/documents/{SID}").text
    resp = _remove(c, SID, confirm=False)  # the box not ticked: nothing happens
    assert resp.headers["location"] == f"/documents/{SID}#remove"
    assert "ô xác nhận" in c.get(f"/documents/{SID}").text and r.holder.generation == 1
    resp = _remove(c, SID)
    assert resp.status_code == 303 and resp.headers["location"] == "/documents"
    state = r.rebuilder.wait(30)
    assert state.phase == "done" and "Đã xoá" in state.message, state.message
    assert r.holder.generation == 2
    assert all(ch.source_id != SID for ch in r.holder.engine.index.chunks)
    listed = c.get("/documents").text
    assert "Đang xoá văn bản" in listed and f'href="/documents/{SID}"' not in listed
    assert c.get(f"/documents/{SID}").status_code == 404
    store = r.app.state.console.desk.store
    assert not (store.root / "texts" / f"{SID}.txt").exists()
    assert {"documents.remove.requested", "documents.remove"} <= {a["action"] for a in r.officials.audit(actor="eddie")}


def test_a_shipped_document_has_no_remove_form_and_a_forged_remove_is_refused_politely(world):
    r, _ = world
    sid = next(iter(r.holder.engine.index.sources))
    c = logged_in(r, "eddie")
    page = c.get(f"/documents/{sid}").text
    assert 'action="/documents/' + sid + '/remove"' not in page
    resp = c.post(f"/documents/{sid}/remove", data={"csrf": csrf_of(page), "confirm": "yes"})
    assert resp.status_code == 303
    after = c.get(f"/documents/{sid}").text
    assert 'class="flash error"' in after and "không xoá được" in after
    assert r.holder.generation == 0 and r.rebuilder.state.phase == "idle"
    assert not r.app.state.console.desk.store.manifest.exists()


def test_a_document_officials_faq_lines_point_at_is_kept_and_the_page_says_why(world, monkeypatch, tmp_path):
    import json

    r, files = world
    c = logged_in(r, "eddie")
    _, state = _publish(r, c, _token(_preview(c, f.decision_docx(files / "qd.docx")).text))
    assert state.phase == "done", state.message
    lines = tmp_path / "officials-faq.jsonl"
    lines.write_text(json.dumps({"source_id": SID, "span": f.BAN_LIVE_POULTRY, "ask": ["chợ có bán gà sống không"]},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    monkeypatch.setenv("RULEBOT_OFFICIALS_FAQ", str(lines))
    resp = _remove(c, SID)
    assert resp.headers["location"] == f"/documents/{SID}#remove"
    page = c.get(f"/documents/{SID}").text
    assert "câu hỏi FAQ" in page and r.holder.generation == 1 and r.rebuilder.state.runs == 1
    lines.write_text("{not json\n", encoding="utf-8")  # a file that cannot be read: no 500, nothing removed
    assert _remove(c, SID).headers["location"] == f"/documents/{SID}#remove"
    assert "Không đọc được" in c.get(f"/documents/{SID}").text and r.rebuilder.state.runs == 1
    assert f'href="/documents/{SID}"' in c.get("/documents").text


def test_a_reviewer_gets_403_on_every_write_and_nothing_is_written(world):
    r, files = world
    c = logged_in(r, "rita")
    token = csrf_of(c.get("/documents").text)
    sid = next(iter(r.holder.engine.index.sources))
    assert _preview(c, f.decision_docx(files / "qd.docx"), csrf=token).status_code == 403
    assert c.post("/documents/publish", data={"csrf": token, "token": "A" * 24}).status_code == 403
    assert c.post(f"/documents/{sid}/retire", data={"csrf": token, "until": "2026-01-01"}).status_code == 403
    assert c.post(f"/documents/{sid}/remove", data={"csrf": token, "confirm": "yes"}).status_code == 403
    assert c.get("/documents/new").status_code == 403
    assert _files_under(r.app.state.console.desk.store.root) == []


def test_posts_without_the_csrf_token_are_refused(world):
    r, files = world
    c = logged_in(r, "eddie")
    good = _token(_preview(c, f.decision_docx(files / "qd.docx")).text)
    store = r.app.state.console.desk.store
    staged = _files_under(store.root)
    sid = next(iter(r.holder.engine.index.sources))
    assert _preview(c, f.decision_docx(files / "qd2.docx", extra="Thêm một câu."), csrf="").status_code == 403
    assert c.post("/documents/publish", data={"token": good}).status_code == 403
    assert c.post("/documents/publish", data={"token": good, "csrf": "forged"}).status_code == 403
    assert c.post(f"/documents/{sid}/retire", data={"until": "2026-01-01"}).status_code == 403
    assert c.post(f"/documents/{sid}/remove", data={"confirm": "yes"}).status_code == 403
    assert _files_under(store.root) == staged and not store.manifest.exists()
    assert r.rebuilder.state.phase == "idle"


def _bad(files: Path, tmp: Path):
    empty = files / "empty.txt"
    empty.write_bytes(b"")
    exe = files / "setup.exe"
    exe.write_bytes(b"MZ" + b"\0" * 100)
    return [
        (empty, {}, "trống"),
        (f.scanned_pdf(files / "scan.pdf", tmp), {}, "không có lớp chữ"),
        (exe, {}, "Chưa đọc được loại tệp"),
        (f.decision_docx(files / "a.docx"), {"signed": "2026-13-45"}, "chưa đúng dạng ngày"),
        (f.decision_docx(files / "b.docx"), {"signed": (date.today() + timedelta(days=400)).isoformat()},
         "quá một năm"),
        (f.decision_docx(files / "c.docx"), {"title": ""}, "Hãy điền tên văn bản"),
        (f.decision_docx(files / "d.docx"), {"effective_from": "2026-12-01", "effective_until": "2026-11-01"},
         "Ngày hết hiệu lực phải từ ngày có hiệu lực"),
    ]


def test_bad_files_and_fields_get_the_form_again_with_a_message_and_nothing_is_kept(world, tmp_path):
    r, files = world
    c = logged_in(r, "eddie")
    store = r.app.state.console.desk.store
    for path, meta, message in _bad(files, tmp_path):
        resp = _preview(c, path, meta=meta)
        assert resp.status_code == 400, path
        assert message in resp.text, (path, meta)
        assert 'enctype="multipart/form-data"' in resp.text  # the form again
        assert _files_under(store.root) == [], path
    # a duplicate: same number, same year, once the first is published
    _publish(r, c, _token(_preview(c, f.decision_docx(files / "qd.docx")).text))
    resp = _preview(c, f.decision_docx(files / "qd-again.docx", extra="Một câu khác để văn bản khác đi."))
    assert resp.status_code == 400 and "Đã có văn bản số 41/QĐ-UBND năm 2026" in resp.text
    assert _files_under(store.root / ".uploads") == []
    assert len(re.findall(r"^\[\[source\]\]", store.manifest.read_text(), re.MULTILINE)) == 1


@pytest.mark.parametrize("name", ["../../../etc/cron.d/evil.txt", "..\\..\\win\\evil.txt", "/tmp/abs.txt",
                                  "a/../../b.txt", "bad\x00name.txt"])
def test_a_path_in_the_uploaded_file_name_never_becomes_a_path(world, name):
    r, files = world
    src = files / "ok.txt"
    src.write_text("CHỈ THỊ\nVề phòng, chống dịch sốt xuất huyết\n1. Mỗi hộ gia đình diệt lăng quăng, bọ gậy "
                   "mỗi tuần một lần.\n2. Các phường tổ chức phun hoá chất khi có ổ dịch.\n", encoding="utf-8")
    c = logged_in(r, "eddie")
    outside = set(_files_under(r.tmp.parent))
    resp = _preview(c, src, name=name, meta={"number": "05/CT-UBND"})
    assert resp.status_code == 200, resp.text
    new = set(_files_under(r.tmp.parent)) - outside
    assert {p.name for p in new} == {"upload.txt", "meta.json"}
    assert all(p.parent.parent == r.app.state.console.desk.store.root / ".uploads" for p in new)
    assert "evil" not in "".join(str(p) for p in new)


def test_a_token_that_is_not_ones_own_or_not_a_token_publishes_nothing(world):
    r, files = world
    eddie = logged_in(r, "eddie")
    token = _token(_preview(eddie, f.decision_docx(files / "qd.docx")).text)
    ada = logged_in(r, "ada")  # an admin, but not the one who uploaded
    page = ada.get("/documents").text
    for forged in (token, "../" * 8, "A" * 24, ""):
        resp = ada.post("/documents/publish", data={"csrf": csrf_of(page), "token": forged})
        assert resp.status_code == 303 and resp.headers["location"] == "/documents/new"
    assert r.rebuilder.state.phase == "idle" and not r.app.state.console.desk.store.manifest.exists()
    resp = eddie.post("/documents/publish", data={"csrf": csrf_of(eddie.get("/documents").text), "token": token,
                                                   "cancel": "1"})
    assert resp.status_code == 303
    assert _files_under(r.app.state.console.desk.store.root / ".uploads") == []


def test_a_file_declared_larger_than_the_cap_is_refused_before_it_is_read(world):
    r, _ = world
    c = logged_in(r, "eddie")
    from bot.console.uploads import MAX_BYTES

    resp = c.post("/documents/new", content=b"x" * 10, headers={
        "content-type": "multipart/form-data; boundary=zzz", "content-length": str(MAX_BYTES * 2)})
    assert resp.status_code == 413 and "lớn quá" in resp.text


def test_an_upload_over_the_cap_is_cut_off_and_nothing_kept(world, tmp_path):
    from bot.console.uploads import UploadError, Uploads

    up = Uploads(tmp_path / "up", max_bytes=1000)
    with open(tmp_path / "big.txt", "wb") as fh:
        fh.write(b"a" * 5000)
    with open(tmp_path / "big.txt", "rb") as fh, pytest.raises(UploadError, match="lớn quá"):
        up.save(fh, "big.txt", "eddie", {})
    assert _files_under(tmp_path / "up") == []
