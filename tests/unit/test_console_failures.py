"""The console when a write fails (a database that is locked or failing, a disk that refuses a
file): the official is told politely, in Vietnamese, what was and was not stored, and nothing is
left half done. Failures are made with SQLite triggers that abort a write, as a failing disk or
a lock held too long would."""
from __future__ import annotations

import sqlite3

from console_fakes import csrf_of, logged_in, rig


def _fail(db_path, table: str, when: str = "insert", where: str = "") -> None:
    """Every `when` (insert, update, delete) on `table` of the SQLite file fails from now on."""
    con = sqlite3.connect(db_path)
    con.execute(f"create trigger fail_{when}_{table} before {when} on {table} "
                f"{'when ' + where if where else ''} begin select raise(abort, 'disk I/O error'); end")
    con.commit()
    con.close()


def _refuse_review_queue(log_path) -> None:
    """The log's re-review queue exists (as the first flag would make it) and refuses every row."""
    from bot.rereview import _TABLE

    con = sqlite3.connect(log_path)
    con.execute(_TABLE)
    con.commit()
    con.close()
    _fail(log_path, "review_queue")


def _count(db_path, sql: str) -> int:
    con = sqlite3.connect(db_path)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_a_verdict_the_database_refuses_is_said_politely_and_nothing_is_claimed_saved(tmp_path):
    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có trực cả đêm không?")
    c = logged_in(r, "rita")
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    _fail(tmp_path / "log.db", "verdicts")
    resp = c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": "correct"})
    assert resp.status_code == 503
    assert "chưa được lưu" in resp.text and "Đã lưu" not in resp.text
    assert _count(tmp_path / "log.db", "select count(*) from verdicts") == 0
    assert "review.verdict" not in [a["action"] for a in r.officials.audit(actor="rita")]


def test_a_comment_or_an_account_change_the_database_refuses_is_said_politely(tmp_path):
    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có trực cả đêm không?")
    c = logged_in(r, "ada")
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    _fail(tmp_path / "log.db", "comments")
    resp = c.post(f"/review/{ex.id}/comment", data={"csrf": token, "text": "Cần xem lại"})
    assert resp.status_code == 503 and "chưa được lưu" in resp.text
    _fail(tmp_path / "officials.db", "officials", "update")
    resp = c.post("/accounts/change", data={"csrf": token, "name": "rita", "action": "role", "role": "editor"})
    assert resp.status_code == 503 and "chưa được lưu" in resp.text
    assert r.officials.get("rita").role == "reviewer"
    assert "account.role" not in [a["action"] for a in r.officials.audit(actor="ada")]


def test_a_verdict_stored_before_the_audit_trail_failed_is_said_saved_not_lost(tmp_path):
    """The verdict row is the record (who, when, what); an audit line the accounts file cannot
    take must not turn a stored verdict into an error page that makes the official judge again."""
    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có trực cả đêm không?")
    c = logged_in(r, "rita")
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    _fail(tmp_path / "officials.db", "audit", where="new.action like 'review.%'")
    resp = c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": "correct"})
    assert resp.status_code == 303 and resp.headers["location"] == f"/review/{ex.id}#verdicts"
    assert "Đã lưu đánh giá" in c.get(resp.headers["location"]).text
    assert _count(tmp_path / "log.db", "select count(*) from verdicts") == 1
    resp = c.post(f"/review/{ex.id}/comment", data={"csrf": token, "text": "Cần xem lại"})
    assert resp.status_code == 303 and "Đã thêm bình luận" in c.get(resp.headers["location"]).text
    assert _count(tmp_path / "log.db", "select count(*) from comments") == 1


def test_a_retirement_or_faq_removal_stored_before_the_audit_trail_failed_is_said_done(tmp_path):
    import json
    from datetime import date, timedelta

    r = rig(tmp_path)
    sid = next(iter(r.holder.engine.index.sources))
    c = logged_in(r, "eddie")
    token = csrf_of(c.get(f"/documents/{sid}").text)
    _fail(tmp_path / "officials.db", "audit", where="new.action in ('documents.retire', 'faq.remove')")
    until = date.today() - timedelta(days=1)
    resp = c.post(f"/documents/{sid}/retire", data={"csrf": token, "until": until.isoformat()})
    assert resp.status_code == 303 and "Đã ghi" in c.get(resp.headers["location"]).text
    assert r.holder.engine.index.sources[sid].effective_until == until
    span = next(ch.text for ch in r.holder.engine.index.chunks if ch.source_id != sid)
    other = next(ch.source_id for ch in r.holder.engine.index.chunks if ch.text == span)
    (tmp_path / "faq-officials.jsonl").write_text(
        json.dumps({"source_id": other, "span": span, "ask": ["một câu hỏi"]}, ensure_ascii=False) + "\n")
    resp = c.post("/faq/remove", data={"csrf": token, "line": "1"})
    assert resp.status_code == 303 and "Đã xoá khỏi FAQ" in c.get(resp.headers["location"]).text
    assert (tmp_path / "faq-officials.jsonl").read_text() == ""


def _wrong_verdict(r, c, ex):
    import re

    target = next(ch for ch in r.holder.engine.index.chunks if "24/24h" in ch.text and "trực" in ch.text)
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    kind = "should_answer" if ex.answer.abstained else "wrong"
    c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": kind, "source_id": target.source_id,
                                             "span": target.text})
    return token, re.search(r'name="verdict_id" value="(\d+)"', c.get(f"/review/{ex.id}").text).group(1)


def test_a_question_goes_into_the_faq_only_together_with_its_verdicts_promoted_mark(tmp_path):
    """The mark keeps the exchange out of the export's test split once the FAQ answers it. A mark
    the log cannot take must not leave the line in the FAQ without it: a second try would then be
    refused ('already in the FAQ') and the mark never written."""
    r = rig(tmp_path)
    question = "đêm khuya gọi phường có ai nghe máy không"
    ex = r.ask(question)
    c = logged_in(r, "eddie")
    token, vid = _wrong_verdict(r, c, ex)
    faq_file = tmp_path / "faq-officials.jsonl"
    _fail(tmp_path / "log.db", "verdicts", "update")
    resp = c.post(f"/review/{ex.id}/promote", data={"csrf": token, "verdict_id": vid, "question": question})
    assert resp.status_code == 503 and "chưa được lưu" in resp.text
    assert not faq_file.exists() or question not in faq_file.read_text(encoding="utf-8")
    assert r.app.state.console.reviews.promoted() == set()
    con = sqlite3.connect(tmp_path / "log.db")
    con.execute("drop trigger fail_update_verdicts")
    con.commit()
    con.close()
    resp = c.post(f"/review/{ex.id}/promote", data={"csrf": token, "verdict_id": vid, "question": question})
    assert resp.status_code == 303 and resp.headers["location"] == "/index"
    assert question in faq_file.read_text(encoding="utf-8")
    assert r.app.state.console.reviews.promoted() == {ex.id}
    r.rebuilder.wait(10)


def test_a_faq_line_the_disk_refuses_leaves_the_verdict_unmarked(tmp_path, monkeypatch):
    import os

    r = rig(tmp_path)
    question = "đêm khuya gọi phường có ai nghe máy không"
    ex = r.ask(question)
    c = logged_in(r, "eddie")
    token, vid = _wrong_verdict(r, c, ex)

    def full(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    resp = c.post(f"/review/{ex.id}/promote", data={"csrf": token, "verdict_id": vid, "question": question})
    assert resp.status_code == 503 and "chưa được lưu" in resp.text
    assert not (tmp_path / "faq-officials.jsonl").exists()
    assert r.app.state.console.reviews.promoted() == set()


def test_a_retirement_whose_answers_the_log_cannot_queue_stands_and_says_to_send_it_again(tmp_path):
    """The store takes the retirement, then the log refuses the re-review queue: the engine in use
    must still know the document has lapsed, the page must say what was written and what was not,
    and sending the same form again queues the answers."""
    from datetime import date, timedelta

    from bot.rereview import pending

    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    sid = ex.answer.main.source.id
    _refuse_review_queue(tmp_path / "log.db")
    c = logged_in(r, "eddie")
    token = csrf_of(c.get(f"/documents/{sid}").text)
    until = date.today() - timedelta(days=1)
    resp = c.post(f"/documents/{sid}/retire", data={"csrf": token, "until": until.isoformat()})
    assert resp.status_code == 303
    page = c.get(resp.headers["location"]).text
    assert "Đã ghi" in page and "chưa đưa được" in page and "gửi lại" in page
    assert r.holder.engine.index.sources[sid].effective_until == until  # the bot no longer says it holds
    assert pending(tmp_path / "log.db") == []
    con = sqlite3.connect(tmp_path / "log.db")
    con.execute("drop trigger fail_insert_review_queue")
    con.commit()
    con.close()
    resp = c.post(f"/documents/{sid}/retire", data={"csrf": token, "until": until.isoformat()})
    assert resp.status_code == 303 and "1 câu trả lời trong 90 ngày qua" in c.get(resp.headers["location"]).text
    assert [p.exchange_id for p in pending(tmp_path / "log.db")] == [ex.id]
    assert r.holder.engine.index.sources[sid].effective_until == until


def _publish_upload(r, c, files, meta: dict):
    import re

    from tests import doc_files as f

    data = {"title": "Quyết định về phòng, chống dịch cúm gia cầm", "number": "41/QĐ-UBND",
            "issuer": "UBND thành phố Hà Nội", "signed": "2026-11-02", "kind": "", "effective_from": "2026-11-02",
            "effective_until": "", "supersedes": "", **meta, "csrf": csrf_of(c.get("/documents/new").text)}
    path = f.decision_docx(files / "qd.docx")
    with open(path, "rb") as fh:
        page = c.post("/documents/new", data=data, files={"file": (path.name, fh, "application/octet-stream")}).text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    c.post("/documents/publish", data={"csrf": csrf_of(c.get("/documents").text), "token": token})
    return r.rebuilder.wait(30)


def test_answers_quoting_a_replaced_document_are_queued_even_when_the_index_update_then_fails(tmp_path, monkeypatch):
    """The store commit is the moment the new document replaces the old one: the answers that
    quoted the old one are queued then, not after the index is published, where a failed publish
    lost them for good (publishing again is refused: the document is already in the store)."""
    import console_fakes

    from bot.rereview import pending

    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    old = ex.answer.main.source.id

    def full(self, update):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(console_fakes.FakeTarget, "publish", full)
    files = tmp_path / "files"
    files.mkdir()
    c = logged_in(r, "eddie")
    state = _publish_upload(r, c, files, {"supersedes": old})
    assert state.phase == "failed"
    assert any(e.document.source.supersedes == (old,) for e in r.app.state.console.desk.store.entries())
    assert [p.exchange_id for p in pending(tmp_path / "log.db")] == [ex.id]


def test_answers_quoting_a_removed_document_are_queued_even_when_the_index_update_then_fails(tmp_path, monkeypatch):
    import console_fakes

    from bot.rereview import pending

    r = rig(tmp_path)
    files = tmp_path / "files"
    files.mkdir()
    c = logged_in(r, "eddie")
    assert _publish_upload(r, c, files, {}).phase == "done"
    sid = "41-qd-ubnd-2026-11-02"
    ex = r.ask("Chợ có được bán gia cầm sống không?")
    assert ex.answer.main is not None and ex.answer.main.source.id == sid

    def full(self, update):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(console_fakes.FakeTarget, "publish", full)
    c.post(f"/documents/{sid}/remove", data={"csrf": csrf_of(c.get(f"/documents/{sid}").text), "confirm": "yes"})
    assert r.rebuilder.wait(30).phase == "failed"
    assert sid not in {e.document.source.id for e in r.app.state.console.desk.store.entries()}
    assert [p.exchange_id for p in pending(tmp_path / "log.db")] == [ex.id]


def test_a_log_that_refuses_the_review_queue_does_not_hold_the_index_back(tmp_path):
    """Adding a replacement and removing a document: the store has changed, so the index follows
    it even when the exchange log refuses the queue; the page says the answers were not queued."""
    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    old = ex.answer.main.source.id
    _refuse_review_queue(tmp_path / "log.db")
    files = tmp_path / "files"
    files.mkdir()
    c = logged_in(r, "eddie")
    state = _publish_upload(r, c, files, {"supersedes": old})
    assert state.phase == "done" and "chưa đưa được các câu trả lời gần đây trích văn bản bị thay thế" in state.message
    sid = "41-qd-ubnd-2026-11-02"
    assert sid in r.holder.engine.index.sources  # the bot reads the new document
    r.ask("Chợ có được bán gia cầm sống không?")
    c.post(f"/documents/{sid}/remove", data={"csrf": csrf_of(c.get(f"/documents/{sid}").text), "confirm": "yes"})
    state = r.rebuilder.wait(30)
    assert state.phase == "done" and "chưa đưa được các câu trả lời gần đây có trích văn bản này" in state.message
    assert sid not in r.holder.engine.index.sources
