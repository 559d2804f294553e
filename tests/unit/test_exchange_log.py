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


def test_a_question_spooled_while_the_disk_failed_keeps_its_text_when_its_answer_is_written_later(tmp_path):
    """Records reach the database in the order they were made: an answer written after the disk
    recovered must not land before the question waiting in the spool (it would create the row
    without the question, and the spooled insert would then be ignored)."""
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    log._db.execute("create trigger no_insert before insert on exchanges begin select raise(abort, 'disk'); end")
    xid = log.question("telegram", 1, "câu hỏi lúc đĩa hỏng")
    log._db.execute("drop trigger no_insert")
    log.answered(xid, None, 12.0, error="engine-error: X")
    log.delivered(xid, "Xin lỗi", "delivered")
    assert not log.spool.exists()
    row = next(r for r in log.rows() if r["id"] == xid)
    assert (row["question"], row["channel"], row["status"], row["reply"]) == (
        "câu hỏi lúc đĩa hỏng", "telegram", "error", "Xin lỗi")


def test_while_the_spool_cannot_be_moved_in_new_records_queue_behind_it(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    log._db.execute("create trigger no_insert before insert on exchanges begin select raise(abort, 'disk'); end")
    xid = log.question("telegram", 1, "hỏi lần một")
    log._db.execute("create trigger no_update before update on exchanges begin select raise(abort, 'disk'); end")
    log.answered(xid, None, 5.0, error="engine-error: X")  # the update cannot go first: it queues
    assert len(log.spool.read_text(encoding="utf-8").splitlines()) == 2 and log.rows() == []
    assert log.question("telegram", 1, "hỏi lần một", key="u1") and log.question("telegram", 1, "lại", key="u1") is None
    assert log.exists(xid) and log.feedback(xid, "telegram", 1, "up")  # known while it waits in the spool
    log._db.execute("drop trigger no_insert")
    log._db.execute("drop trigger no_update")
    log.delivered(xid, "trả lời", "delivered")
    row = next(r for r in log.rows() if r["id"] == xid)
    assert (row["question"], row["status"], row["reply"], row["delivery"]) == ("hỏi lần một", "error", "trả lời", "delivered")
    assert len(log.rows()) == 2 and len(log.rows("feedback")) == 1
    assert not log.spool.exists()


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
    _wait_for_rows(db, 50, proc)  # writing in full flow (waiting a fixed second cost a second)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(db)
    assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    rows = con.execute("select id, question from exchanges").fetchall()
    assert rows and all(q.startswith("câu hỏi ") for _, q in rows)
    assert ExchangeLog(db, salt="s").question("telegram", 1, "vẫn ghi được")


def _wait_for_rows(db, n: int, proc, timeout: float = 30.0) -> None:
    """Until the writer has committed n rows, as a reader sees them (WAL: reading does not block it)."""
    deadline = time.monotonic() + timeout
    while True:
        con = sqlite3.connect(db, timeout=10)
        try:
            count = con.execute("select count(*) from exchanges").fetchone()[0]
        except sqlite3.OperationalError:  # the table is not there yet
            count = 0
        finally:
            con.close()
        if count >= n:
            return
        assert proc.poll() is None, "the writer died"
        assert time.monotonic() < deadline, f"only {count} rows after {timeout} s"
        time.sleep(0.01)


def test_the_flood_limit_allows_five_questions_per_ten_seconds():
    limiter = FloodLimiter(limit=5, window=10)
    assert [limiter.allow("u", now=t) for t in (0, 1, 2, 3, 4, 5)] == [True] * 5 + [False]
    assert limiter.allow("other", now=5) is True
    assert limiter.allow("u", now=10.5) is True


def test_a_redelivered_update_is_logged_once_even_after_a_restart(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    assert log.question("telegram", 1, "hỏi", key="1001", chat={"id": 1}) is not None
    assert log.question("telegram", 1, "hỏi", key="1001", chat={"id": 1}) is None
    assert log.question("zalo", 1, "hỏi", key="1001", chat={"id": 1}) is not None  # keys are per channel
    log.close()
    again = ExchangeLog(tmp_path / "log.db", salt="s")
    assert again.question("telegram", 1, "hỏi", key="1001", chat={"id": 1}) is None
    assert len(again.rows()) == 2


def test_an_undelivered_question_is_kept_for_the_next_run_and_an_old_one_expires(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    done = log.question("zalo", 1, "đã trả lời", key="a", chat={"id": "c1"})
    log.delivered(done, "trả lời", "delivered")
    pending = log.question("zalo", 2, "chưa trả lời", key="b", chat={"id": "c2"})
    old = log.question("zalo", 3, "cũ quá", key="c", chat={"id": "c3"})
    log._db.execute("update exchanges set at = '2000-01-01T00:00:00.000+00:00' where id = ?", [old])
    rows = log.unfinished("zalo", within_seconds=3600)
    assert [(r["id"], r["chat"], r["update_key"], r["question"]) for r in rows] == [
        (pending, {"id": "c2"}, log.update_key("zalo", "b"), "chưa trả lời")]
    statuses = {r["id"]: (r["status"], r["chat_ref"]) for r in log.rows()}
    assert statuses[old] == ("expired", None) and statuses[done][1] is None


def test_a_huge_message_is_stored_capped(tmp_path):
    from bot.exchange_log import MAX_STORED_CHARS

    log = ExchangeLog(tmp_path / "log.db", salt="s")
    log.question("telegram", 1, "a" * 20_000)
    stored = log.rows()[0]["question"]
    assert stored.startswith("a" * MAX_STORED_CHARS) and len(stored) < MAX_STORED_CHARS + 60
    assert "18000" in stored


def test_a_log_written_by_an_older_version_gains_the_new_columns(tmp_path):
    con = sqlite3.connect(tmp_path / "log.db")
    con.execute("create table exchanges (id text primary key, at text, channel text, user_hash text, "
                "question text, status text, abstained integer, citations text, reply text, "
                "latency_ms float, delivered integer, error text)")
    con.execute("insert into exchanges (id, question, status) values ('x', 'cũ', 'answered')")
    con.commit()
    con.close()
    log = ExchangeLog(tmp_path / "log.db", salt="s")
    assert log.rows()[0]["question"] == "cũ" and "update_key" in log.rows()[0]
    assert log.question("telegram", 1, "mới", key="1", chat={"id": 1})
