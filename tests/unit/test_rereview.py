"""Answers of the last 90 days that quoted a document now retired or replaced are queued for review."""
import sqlite3
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from bot import rereview
from bot.exchange_log import ExchangeLog


def answered(log: ExchangeLog, question: str, chunk_ids: list[str]) -> str:
    xid = log.question("telegram", 42, question)
    cites = tuple(SimpleNamespace(chunk_id=c, score=0.9) for c in chunk_ids)
    log.answered(xid, SimpleNamespace(status="answered", abstained=False, citations=cites), 12.0)
    log.delivered(xid, "…", "delivered")
    return xid


def test_recent_answers_citing_the_document_are_queued_once_with_the_reason(tmp_path):
    path = tmp_path / "log.db"
    log = ExchangeLog(path, salt="s")
    recent = answered(log, "Diệt lăng quăng mấy lần một tuần?", ["ct05:003", "ct05:004"])
    other = answered(log, "Có được bán gà sống ở chợ không?", ["qd41:002"])
    old = answered(log, "Diệt bọ gậy thế nào?", ["ct05:003"])
    log.close()
    long_ago = (datetime.now(timezone.utc) - timedelta(days=91)).isoformat(timespec="milliseconds")
    with sqlite3.connect(path) as db:
        db.execute("update exchanges set at = ? where id = ?", (long_ago, old))

    assert rereview.flag(path, ["ct05"]) == 1
    assert rereview.flag(path, "ct05") == 0  # already queued
    items = rereview.pending(path)
    assert [(i.exchange_id, i.source_id, i.reason, i.chunk_ids) for i in items] == [
        (recent, "ct05", "nguồn đã hết hiệu lực", ("ct05:003", "ct05:004"))]
    assert items[0].question == "Diệt lăng quăng mấy lần một tuần?" and other != recent
    assert rereview.reviewed(path, recent) == 1 and rereview.pending(path) == []


def test_without_an_exchange_log_nothing_is_queued_and_nothing_is_created(tmp_path):
    assert rereview.flag(tmp_path / "none.db", ["x"]) == 0 and rereview.pending(tmp_path / "none.db") == []
    assert not (tmp_path / "none.db").exists()


def test_review_pending_command_lists_the_queue(tmp_path, capsys):
    from bot.cli import main

    path = tmp_path / "log.db"
    log = ExchangeLog(path, salt="s")
    xid = answered(log, "Học sinh sốt có được nghỉ không?", ["tin22:003"])
    log.close()
    rereview.flag(path, ["tin22"])
    assert main(["review", "pending", "--log", str(path)]) == 0
    out = capsys.readouterr().out
    assert xid in out and "nguồn đã hết hiệu lực" in out and "Học sinh sốt" in out
