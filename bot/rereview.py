"""Answers to re-check when their source stops holding.

When a document is retired or replaced, every exchange of the last 90 days that quoted it may
have told a resident something no longer true. Those exchanges are queued for the officials'
review with the reason "nguồn đã hết hiệu lực", in a small table of the exchange-log database
(bot/exchange_log.py), which the console's review page or `rulebot review pending` reads.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

REASON = "nguồn đã hết hiệu lực"
WINDOW_DAYS = 90
_TABLE = """create table if not exists review_queue (
    exchange_id text not null, source_id text not null, reason text not null,
    flagged_at text not null, reviewed_at text, primary key (exchange_id, source_id))"""


@dataclass(frozen=True)
class Pending:
    exchange_id: str
    at: str  # when the exchange happened
    channel: str
    question: str
    source_id: str
    chunk_ids: tuple[str, ...]
    reason: str
    flagged_at: str


def source_of(chunk_id: str) -> str:
    """Clause ids are "<source id>:<n>" (retrieval.chunking)."""
    return chunk_id.rsplit(":", 1)[0]


def _connect(log: Path) -> sqlite3.Connection | None:
    if not Path(log).is_file():
        return None
    db = sqlite3.connect(log, timeout=10)
    if not db.execute("select 1 from sqlite_master where type = 'table' and name = 'exchanges'").fetchone():
        db.close()  # a database with no exchange in it yet (the console made it): nothing to queue
        return None
    db.execute(_TABLE)
    return db


def flag(log: str | Path, source_ids: list[str] | str, now: datetime | None = None,
         days: int = WINDOW_DAYS, reason: str = REASON) -> int:
    """Queue the exchanges of the last `days` that cited any of `source_ids`; returns how many
    were newly queued (an exchange already queued for that source is not queued twice)."""
    ids = {source_ids} if isinstance(source_ids, str) else set(source_ids)
    db = _connect(Path(log))
    if db is None or not ids:
        return 0
    now = now or datetime.now(timezone.utc)
    since = (now - timedelta(days=days)).isoformat(timespec="milliseconds")
    stamp = now.isoformat(timespec="seconds")
    try:
        rows = db.execute("select id, citations from exchanges where at >= ? and citations is not null",
                          (since,)).fetchall()
        queued = []
        for xid, cites in rows:
            try:
                cited = {source_of(c["chunk_id"]) for c in json.loads(cites) if c.get("chunk_id")}
            except (ValueError, TypeError, AttributeError):
                continue
            queued += [(xid, sid, reason, stamp) for sid in cited & ids]
        with db:
            before = db.total_changes
            db.executemany("insert or ignore into review_queue (exchange_id, source_id, reason, flagged_at) "
                           "values (?, ?, ?, ?)", queued)
            return db.total_changes - before
    finally:
        db.close()


def pending(log: str | Path) -> list[Pending]:
    """What is queued and not yet reviewed, newest exchange first."""
    db = _connect(Path(log))
    if db is None:
        return []
    try:
        rows = db.execute(
            "select q.exchange_id, e.at, e.channel, e.question, q.source_id, e.citations, q.reason, q.flagged_at "
            "from review_queue q join exchanges e on e.id = q.exchange_id where q.reviewed_at is null "
            "order by e.at desc").fetchall()
    finally:
        db.close()
    out = []
    for xid, at, channel, question, sid, cites, reason, flagged in rows:
        try:
            chunks = tuple(c["chunk_id"] for c in json.loads(cites or "[]") if source_of(c.get("chunk_id", "")) == sid)
        except (ValueError, TypeError, AttributeError):
            chunks = ()
        out.append(Pending(xid, at, channel or "", question or "", sid, chunks, reason, flagged))
    return out


def reviewed(log: str | Path, exchange_id: str, now: datetime | None = None) -> int:
    """Mark an exchange's queued items as reviewed; returns how many were marked."""
    db = _connect(Path(log))
    if db is None:
        return 0
    try:
        with db:
            return mark_reviewed(db, exchange_id, now)
    finally:
        db.close()


def mark_reviewed(db: sqlite3.Connection, exchange_id: str, now: datetime | None = None) -> int:
    """The same, on an open connection, so a console verdict and the mark share one transaction
    (bot/console/reviews.py). A log with no queue table (older logs) has nothing to mark."""
    if not db.execute("select 1 from sqlite_master where type = 'table' and name = 'review_queue'").fetchone():
        return 0
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return db.execute("update review_queue set reviewed_at = ? where exchange_id = ? and reviewed_at is null",
                      (stamp, exchange_id)).rowcount
