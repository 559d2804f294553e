"""The SQLite log of every exchange, which the officials' review reads.

A question is written as soon as it arrives and completed once answered, so a crash in between
still leaves the question. Users appear only as salted hashes. If the database cannot be
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


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
        db["exchanges"].create({
            "id": str, "at": str, "channel": str, "user_hash": str, "question": str,
            "status": str, "abstained": int, "citations": str, "reply": str,
            "latency_ms": float, "delivered": int, "error": str,
        }, pk="id", if_not_exists=True)
        db["feedback"].create({"id": str, "exchange_id": str, "at": str, "user_hash": str, "value": str},
                              pk="id", foreign_keys=[("exchange_id", "exchanges", "id")], if_not_exists=True)
        db["exchanges"].create_index(["at"], if_not_exists=True)
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

    # --- writing -------------------------------------------------------------------------

    def question(self, channel: str, user_id: object, text: str) -> str:
        """Record an incoming question; returns its exchange id."""
        xid = secrets.token_hex(8)
        self._write("exchanges", {"id": xid, "at": _now(), "channel": channel,
                                  "user_hash": self.user_hash(channel, user_id), "question": mask(text),
                                  "status": "received", "delivered": 0})
        return xid

    def answered(self, xid: str, answer, reply: str, latency_ms: float, delivered: bool = True,
                 error: str | None = None) -> None:
        cites = [{"chunk_id": c.chunk_id, "score": c.score} for c in answer.citations] if answer else []
        self._write("exchanges", {
            "id": xid, "status": answer.status if answer else "error",
            "abstained": int(answer.abstained) if answer else 1,
            "citations": json.dumps(cites), "reply": reply, "latency_ms": round(latency_ms, 1),
            "delivered": int(delivered), "error": error}, update=True)

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
                return bool(self._db.execute("select 1 from exchanges where id = ?", [xid]).fetchone())
            except sqlite3.Error:
                return self._in_spool(xid)

    def _write(self, table: str, row: dict, update: bool = False) -> None:
        with self._lock:
            try:
                self._apply(table, row, update)
            except sqlite3.Error as e:
                log.error("exchange log write failed (%s); spooling the record", type(e).__name__)
                with self.spool.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"table": table, "row": row, "update": update}, ensure_ascii=False) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                return
            self._drain_locked()

    def _apply(self, table: str, row: dict, update: bool) -> None:
        with self._db.conn:
            if update:
                self._db[table].upsert(row, pk="id", alter=False)
            else:
                self._db[table].insert(row, pk="id", ignore=True)  # idempotent when a spool is replayed

    def _drain(self) -> None:
        with self._lock:
            self._drain_locked()

    def _drain_locked(self) -> None:
        if not self.spool.exists():
            return
        pending = self.spool.read_text(encoding="utf-8").splitlines()
        try:
            for line in pending:
                rec = json.loads(line)
                self._apply(rec["table"], rec["row"], rec["update"])
        except sqlite3.Error:
            return  # still failing: the spool stays for the next try
        self.spool.unlink()

    def _in_spool(self, xid: str) -> bool:
        return self.spool.exists() and f'"id": "{xid}"' in self.spool.read_text(encoding="utf-8")

    # --- reading (tests, review) -----------------------------------------------------------

    def rows(self, table: str = "exchanges") -> list[dict]:
        with self._lock:
            return list(self._db[table].rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()
