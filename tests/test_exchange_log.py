"""The exchange log: nothing identifying is stored, nothing is lost when the disk or the process fails."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from bot.exchange_log import ExchangeLog
from bot.service import FloodLimiter


def test_users_are_stored_only_as_salted_hashes(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="s1")
    xid = log.question("telegram", 123456789, "Tôi có được ra ngoài không?")
    raw = (tmp_path / "log.db").read_bytes() + (tmp_path / "log.db-wal").read_bytes()
    assert b"123456789" not in raw
    row = log.rows()[0]
    assert row["id"] == xid and row["user_hash"] == log.user_hash("telegram", 123456789)
    assert ExchangeLog(tmp_path / "other.db", salt="s2").user_hash("telegram", 123456789) != row["user_hash"]


def test_without_a_configured_salt_a_private_one_is_kept_beside_the_log(tmp_path, monkeypatch):
    monkeypatch.delenv("RULEBOT_LOG_SALT", raising=False)
    first = ExchangeLog(tmp_path / "log.db").user_hash("zalo", 1)
    assert ExchangeLog(tmp_path / "log.db").user_hash("zalo", 1) == first
    assert oct(os.stat(tmp_path / "log.db.salt").st_mode & 0o777) == "0o600"


def test_feedback_is_linked_to_its_question_and_unknown_exchanges_are_refused(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    xid = log.question("telegram", 1, "hỏi")
    assert log.feedback(xid, "telegram", 1, "up") is True
    assert log.feedback("nope", "telegram", 1, "up") is False
    assert log.feedback(xid, "telegram", 1, "sideways") is False
    assert [(f["exchange_id"], f["value"]) for f in log.rows("feedback")] == [(xid, "up")]


def test_a_failing_database_spools_records_and_they_arrive_when_it_recovers(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    log._db.execute("create trigger no_insert before insert on exchanges begin select raise(abort, 'disk'); end")
    xid = log.question("telegram", 1, "câu hỏi lúc đĩa hỏng")  # must not raise
    assert log.spool.exists() and log.rows() == []
    log._db.execute("drop trigger no_insert")
    log.question("telegram", 2, "câu hỏi sau khi đĩa ổn")
    assert not log.spool.exists()
    assert {r["id"] for r in log.rows()} >= {xid}


def test_the_log_survives_the_process_being_killed_mid_write(tmp_path):
    db = tmp_path / "log.db"
    writer = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(os.getcwd())!r})
        from bot.exchange_log import ExchangeLog
        log = ExchangeLog({str(db)!r}, salt="s")
        print("ready", flush=True)
        i = 0
        while True:
            log.question("telegram", i, "câu hỏi " + str(i) * 200)
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(db)
    assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    rows = con.execute("select id, question from exchanges").fetchall()
    assert rows and all(q.startswith("câu hỏi ") for _, q in rows)
    assert ExchangeLog(db, salt="s").question("telegram", 1, "vẫn ghi được")


def test_the_flood_limit_allows_five_questions_per_ten_seconds():
    limiter = FloodLimiter(limit=5, window=10)
    assert [limiter.allow("u", now=t) for t in (0, 1, 2, 3, 4, 5)] == [True] * 5 + [False]
    assert limiter.allow("other", now=5) is True
    assert limiter.allow("u", now=10.5) is True
