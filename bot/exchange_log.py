"""The SQLite log of every exchange, which the officials' review reads.

A question is written as soon as it arrives, before anything that can wait, and completed once
answered and delivered; until then its row keeps where the reply must go (`chat_ref`), so a
restarted bot can still answer it (`unfinished`). The platform's update id (`update_key`) is
unique (kept as a salted hash), so a re-delivered update is never logged or answered twice,
across restarts too.
Users appear only as salted hashes; questions are stored at most MAX_STORED_CHARS long. If the database cannot be
written, the record goes to a JSON-lines spool beside it and is moved in on the next good write:
a failing disk never loses a question, and never stops the answer reaching the user.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .privacy import mask

log = logging.getLogger(__name__)


# Enough to see what a too-long message was about (the bot answers at most 1,000 characters),
# while a flood of 20,000-character messages cannot bloat the log.
MAX_STORED_CHARS = 2000
COLUMNS = {
    "id": str, "at": str, "channel": str, "user_hash": str, "question": str, "update_key": str,
    "chat_ref": str, "status": str, "abstained": int, "citations": str, "confidence": float, "reply": str,
    "latency_ms": float, "delivered": int, "delivery": str, "attempts": int, "error": str,
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def capped(text: str) -> str:
    if len(text) <= MAX_STORED_CHARS:
        return text
    return f"{text[:MAX_STORED_CHARS]} […{len(text) - MAX_STORED_CHARS} more characters not stored]"


class ExchangeLog:
    def __init__(self, path: str | Path, salt: str | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.spool = self.path.with_name(self.path.name + ".spool.jsonl")
        self._salt = (salt or os.environ.get("RULEBOT_LOG_SALT") or self._stored_salt()).encode()
        self._lock = threading.Lock()
        self._db = self._open()
        self._drain()

    def _open(self) -> sqlite_utils.Database:
        db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False, timeout=10))
        db.enable_wal()
        db.execute("pragma synchronous = normal")
        table = db["exchanges"]
        table.create(COLUMNS, pk="id", if_not_exists=True)
        for name, kind in COLUMNS.items():  # a log written by an older version gains the new columns
            if name not in table.columns_dict:
                table.add_column(name, kind)
        db["feedback"].create({"id": str, "exchange_id": str, "at": str, "user_hash": str, "value": str},
                              pk="id", foreign_keys=[("exchange_id", "exchanges", "id")], if_not_exists=True)
        db["exchanges"].create_index(["at"], if_not_exists=True)
        db["exchanges"].create_index(["update_key"], unique=True, if_not_exists=True)
        db["exchanges"].create_index(["chat_ref"], if_not_exists=True)
        return db

    def _stored_salt(self) -> str:
        """Without RULEBOT_LOG_SALT, a random salt kept beside the log keeps hashes stable."""
        f = self.path.with_name(self.path.name + ".salt")
        if not f.exists():
            fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
        return f.read_text().strip()

    def user_hash(self, channel: str, user_id: object) -> str:
        return hmac.new(self._salt, f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def update_key(self, channel: str, key: object) -> str:
        """How a platform's update id is kept: hashed too, as Zalo's names the chat (the user)."""
        return f"{channel}:" + hmac.new(self._salt, f"update:{channel}:{key}".encode(), hashlib.sha256).hexdigest()[:32]

    # --- writing -------------------------------------------------------------------------

    def question(self, channel: str, user_id: object, text: str, key: str | None = None,
                 chat: dict | None = None) -> str | None:
        """Record an incoming question; its exchange id, or None when `key` was logged before."""
        xid = secrets.token_hex(8)
        row = {"id": xid, "at": _now(), "channel": channel, "user_hash": self.user_hash(channel, user_id),
               "question": capped(mask(text)), "update_key": self.update_key(channel, key) if key is not None else None,
               "chat_ref": json.dumps(chat) if chat is not None else None, "status": "received",
               "delivered": 0}
        with self._lock:
            if row["update_key"] and self._known(row["update_key"]):
                return None
        self._write("exchanges", row)
        return xid

    def _known(self, update_key: str) -> bool:
        """In the database or still in the spool (records wait there while it cannot be moved in)."""
        try:
            if self._db.execute("select 1 from exchanges where update_key = ?", [update_key]).fetchone():
                return True
        except sqlite3.Error:
            pass
        return f'"update_key": {json.dumps(update_key)}' in self._spool_text()

    def answered(self, xid: str, answer, latency_ms: float, error: str | None = None,
                 margin: float | None = None, status: str | None = None) -> None:
        """What the engine said (or that it failed: `answer` None)."""
        cites = [{"chunk_id": c.chunk_id, "score": c.score} for c in answer.citations] if answer else []
        self._write("exchanges", {
            "id": xid, "status": status or (answer.status if answer else "error"),
            # small talk is answered (with what the bot can do), not an unanswered question
            "abstained": int(answer.abstained and answer.status != "small_talk") if answer else 1, "citations": json.dumps(cites),
            "confidence": round(margin, 4) if margin is not None else None,
            "latency_ms": round(latency_ms, 1), "error": error}, update=True)

    def delivered(self, xid: str, reply: str, outcome: str, attempts: int = 1, error: str | None = None) -> None:
        """How the reply travelled; the exchange is complete, so where to deliver it is forgotten."""
        row = {"id": xid, "reply": reply, "delivered": int(outcome == "delivered"), "delivery": outcome,
               "attempts": attempts, "chat_ref": None}
        if error:
            row["error"] = error
        self._write("exchanges", row, update=True)

    def unfinished(self, channel: str, within_seconds: float) -> list[dict]:
        """Questions of `channel` not yet delivered, younger than `within_seconds`, oldest first;
        older ones are marked `expired` (shown so to officials) and no longer kept for delivery."""
        cutoff = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() - within_seconds, timezone.utc)
        cutoff_s = cutoff.isoformat(timespec="milliseconds")
        with self._lock:
            with self._db.conn:
                self._db.execute("update exchanges set status = 'expired', chat_ref = null "
                                 "where channel = ? and chat_ref is not null and at < ?", [channel, cutoff_s])
            rows = list(self._db.query("select id, update_key, chat_ref, user_hash, question from exchanges "
                                       "where channel = ? and chat_ref is not null order by at", [channel]))
        for r in rows:
            r["chat"] = json.loads(r.pop("chat_ref"))
        return rows

    def feedback(self, xid: str, channel: str, user_id: object, value: str) -> bool:
        """Store a 👍/👎 press; False when the exchange is unknown (nothing is written then)."""
        if value not in ("up", "down") or not self.exists(xid):
            return False
        self._write("feedback", {"id": secrets.token_hex(8), "exchange_id": xid, "at": _now(),
                                 "user_hash": self.user_hash(channel, user_id), "value": value})
        return True

    def exists(self, xid: str) -> bool:
        with self._lock:
            try:
                if self._db.execute("select 1 from exchanges where id = ?", [xid]).fetchone():
                    return True
            except sqlite3.Error:
                pass
            return self._in_spool(xid)

    def _write(self, table: str, row: dict, update: bool = False) -> None:
        """Records reach the database in the order they were made: while older ones wait in the
        spool, a new one waits behind them (an answer written before its spooled question would
        make the row without the question, and the question's insert would then be ignored)."""
        with self._lock:
            if not self._drain_locked():
                why = "older records still waiting in the spool"
            else:
                try:
                    self._apply(table, row, update)
                    return
                except sqlite3.Error as e:
                    why = type(e).__name__
            log.error("exchange log write failed (%s); spooling the record", why)
            with self.spool.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"table": table, "row": row, "update": update}, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())

    def _apply(self, table: str, row: dict, update: bool) -> None:
        """One statement for a known table (names from this module only, values bound): the
        answer path writes three times a question, so no schema is read per write."""
        names = list(row)
        cols, marks = ", ".join(f"[{n}]" for n in names), ", ".join("?" * len(names))
        if update:
            sets = ", ".join(f"[{n}] = excluded.[{n}]" for n in names if n != "id")
            sql = f"insert into [{table}] ({cols}) values ({marks}) on conflict(id) do update set {sets}"
        else:  # idempotent when a spool is replayed
            sql = f"insert or ignore into [{table}] ({cols}) values ({marks})"
        with self._db.conn:
            self._db.conn.execute(sql, [row[n] for n in names])

    def _drain(self) -> None:
        with self._lock:
            self._drain_locked()

    def _drain_locked(self) -> bool:
        """Move the spool in, in order; False (the spool kept whole) while the database fails."""
        if not self.spool.exists():
            return True
        pending = self.spool.read_text(encoding="utf-8").splitlines()
        try:
            for line in pending:
                rec = json.loads(line)
                self._apply(rec["table"], rec["row"], rec["update"])
        except sqlite3.Error:
            return False  # still failing: the spool stays for the next try (replaying is idempotent)
        self.spool.unlink()
        return True

    def _in_spool(self, xid: str) -> bool:
        return f'"id": "{xid}"' in self._spool_text()

    def _spool_text(self) -> str:
        try:
            return self.spool.read_text(encoding="utf-8")
        except OSError:
            return ""

    # --- reading (tests, review) -----------------------------------------------------------

    def rows(self, table: str = "exchanges") -> list[dict]:
        with self._lock:
            return list(self._db[table].rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()
