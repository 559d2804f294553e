"""Answers whose source lapsed, in the console's review queue and on the exchange page.

Retiring a document (through the console, as an editor does) queues the recent answers that
quoted it (bot/rereview.py); the queue marks and filters them and puts them first, the exchange
page says which document lapsed and since when, and a verdict takes the exchange out of the
lapsed filter and out of `rulebot review pending`. Fake engine, real log, store and queue.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
from console_fakes import csrf_of, logged_in, rig

from bot.cli import main
from bot.rereview import pending

CHECKPOINT = "Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?"
BADGE = "Nguồn đã hết hiệu lực ·"
NO_ROWS = "Không có trao đổi nào khớp bộ lọc."


@pytest.fixture
def world(tmp_path):
    """Two answers quoting the same document, one quoting another (with a 👎, so it would come
    first without the flag); then the first document is retired as of yesterday."""
    r = rig(tmp_path)
    a = r.ask("Thích ứng an toàn, linh hoạt là gì?")
    b = r.ask("Bí thư Thành ủy nói gì về kiểm soát dịch?")
    other = r.ask(CHECKPOINT)
    sid = a.answer.main.source.id
    assert any(c.chunk_id.startswith(sid + ":") for c in b.answer.citations)
    assert all(not c.chunk_id.startswith(sid + ":") for c in other.answer.citations)
    r.log.feedback(other.id, "telegram", 1, "down")
    eddie = logged_in(r, "eddie")
    until = date.today() - timedelta(days=1)
    resp = eddie.post(f"/documents/{sid}/retire",
                      data={"csrf": csrf_of(eddie.get(f"/documents/{sid}").text), "until": until.isoformat()})
    assert resp.status_code == 303
    return r, a, b, other, sid


def _only(c, url, *exchanges):
    page = c.get(url).text
    return {x.id for x in exchanges if x.id in page}


def test_flagged_answers_carry_the_badge_come_first_and_have_their_own_filter(world):
    r, a, b, other, sid = world
    c = logged_in(r, "rita")
    page = c.get("/review").text
    number = r.holder.engine.index.sources[sid].number
    assert number and page.count(BADGE) == 2 and f"{BADGE} {number}" in page
    assert page.index(a.id) < page.index(other.id) and page.index(b.id) < page.index(other.id)
    assert _only(c, "/review?status=lapsed", a, b, other) == {a.id, b.id}
    assert 'value="lapsed" selected' in c.get("/review?status=lapsed").text
    assert _only(c, "/review?order=newest", a, b, other) == {a.id, b.id, other.id}


def test_the_exchange_page_says_which_document_lapsed_and_since_when(world):
    r, a, _, other, sid = world
    c = logged_in(r, "rita")
    page = c.get(f"/review/{a.id}").text
    source = r.holder.engine.index.sources[sid]
    assert "Nguồn đã hết hiệu lực:" in page and source.number in page and source.title[:30] in page
    assert f"hết hiệu lực từ {date.today():%d/%m/%Y}" in page
    assert f'href="/documents/{sid}"' in page
    assert "Nguồn đã hết hiệu lực:" not in c.get(f"/review/{other.id}").text


def test_a_verdict_takes_the_answer_out_of_the_lapsed_filter_and_review_pending(world, capsys):
    r, a, b, other, _ = world
    log = r.tmp / "log.db"
    assert {p.exchange_id for p in pending(log)} == {a.id, b.id}
    c = logged_in(r, "rita")
    resp = c.post(f"/review/{a.id}/verdict", data={"csrf": csrf_of(c.get(f"/review/{a.id}").text),
                                                   "verdict": "outdated"})
    assert resp.status_code == 303
    assert "Trao đổi đã ra khỏi danh sách “Nguồn đã hết hiệu lực”" in c.get(resp.headers["location"]).text
    assert _only(c, "/review?status=lapsed", a, b, other) == {b.id}
    assert [p.exchange_id for p in pending(log)] == [b.id]
    assert main(["review", "pending", "--log", str(log)]) == 0
    out = capsys.readouterr().out
    assert b.id in out and a.id not in out
    page = c.get("/review").text
    assert "đã duyệt lại" in page and page.index(b.id) < page.index(other.id) < page.index(a.id)
    assert "Đã có cán bộ duyệt lại." in c.get(f"/review/{a.id}").text
    reviewed = sqlite3.connect(log).execute(
        "select exchange_id from review_queue where reviewed_at is not null").fetchall()
    assert reviewed == [(a.id,)]


def test_a_log_without_the_queue_table_still_renders(tmp_path):
    r = rig(tmp_path)
    x = r.ask(CHECKPOINT)
    c = logged_in(r, "rita")
    assert x.id in c.get("/review").text and BADGE not in c.get("/review").text
    page = c.get("/review?status=lapsed").text
    assert NO_ROWS in page and x.id not in page
    assert "Nguồn đã hết hiệu lực:" not in c.get(f"/review/{x.id}").text
    resp = c.post(f"/review/{x.id}/verdict", data={"csrf": csrf_of(c.get(f"/review/{x.id}").text),
                                                   "verdict": "outdated"})
    assert resp.status_code == 303
    tables = {t for (t,) in sqlite3.connect(tmp_path / "log.db").execute("select name from sqlite_master")}
    assert "verdicts" in tables and "review_queue" not in tables  # reading never made it
