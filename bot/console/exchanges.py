"""Read the exchange log for the console: the review queue, one exchange, raw figures.

Read-only on the log's own tables (`exchanges`, `feedback`, written by bot.exchange_log); the
review tables beside them belong to reviews.py. Columns added later to the log (`confidence`:
the answer's margin over the abstention bar; `delivery`) are used when present and read as empty
otherwise, so the console works on a log written by any version.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from retrieval.text import fold, words

VN = timezone(timedelta(hours=7), "ICT")  # Hà Nội time, no daylight saving
OPTIONAL = ("confidence", "delivery", "latency_ms", "delivered", "error", "reply", "citations")
NEAR_BAR = 0.03  # a margin this close to the abstention bar (either side) needs a look first
PAGE = 50


@dataclass(frozen=True)
class Exchange:
    id: str
    at: datetime  # UTC
    channel: str
    user_hash: str
    question: str
    status: str  # received | answered | no_match | invalid | error
    abstained: bool
    citations: tuple[dict, ...]  # {"chunk_id", "score", maybe "start"/"end"} as logged
    reply: str
    latency_ms: float | None
    error: str | None
    confidence: float | None
    delivery: str | None
    up: int = 0
    down: int = 0
    verdicts: int = 0  # officials who judged it
    disagree: bool = False
    lapsed: tuple[str, ...] = ()  # cited sources since retired or replaced, not yet re-reviewed (bot/rereview.py)
    lapsed_reviewed: tuple[str, ...] = ()  # the same, re-reviewed since

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(VN)

    @property
    def near_bar(self) -> bool:
        return self.confidence is not None and abs(self.confidence) < NEAR_BAR


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""  # "" | "unreviewed" | "reviewed" | "disagree" | "lapsed" (a source lapsed since)
    channel: str = ""
    date_from: date | None = None  # Hà Nội dates, inclusive
    date_to: date | None = None
    outcome: str = ""  # "" | "answered" | "abstained" | "invalid" | "error"
    feedback: str = ""  # "" | "down" | "up" | "none"
    conf_min: float | None = None
    conf_max: float | None = None
    q: str = ""  # full-text search over questions, diacritics optional
    order: str = "look"  # "look" (needs a look first) | "newest"
    page: int = 1


@dataclass
class Queue:
    rows: list[Exchange]
    total: int
    page: int
    pages: int
    channels: list[str] = field(default_factory=list)
    has_confidence: bool = False


class ExchangeReader:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # Only ever reads. Not opened with mode=ro: a WAL database without its -shm file (no
        # writer running) cannot be opened that way.
        db = sqlite3.connect(self.path, timeout=10) if self.path.exists() else sqlite3.connect(":memory:")
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    def columns(self, db: sqlite3.Connection, table: str = "exchanges") -> set[str]:
        return {r["name"] for r in db.execute(f"pragma table_info({table})")}

    def _select(self, db: sqlite3.Connection) -> str | None:
        cols = self.columns(db)
        if not cols:
            return None
        opt = ", ".join(f"e.{c}" if c in cols else f"null as {c}" for c in OPTIONAL)
        have_fb = bool(self.columns(db, "feedback"))
        have_rv = bool(self.columns(db, "verdicts"))
        fb = ("left join (select exchange_id, sum(value = 'up') up, sum(value = 'down') down "
              "from feedback group by exchange_id) fb on fb.exchange_id = e.id") if have_fb else \
            "left join (select null exchange_id, 0 up, 0 down) fb on 0"
        rv = ("left join (select exchange_id, count(*) n, count(distinct verdict || '|' || "
              "coalesce(source_id, '') || '|' || coalesce(span, '')) variants from verdicts "
              "where id in (select max(id) from verdicts group by exchange_id, official) "
              "group by exchange_id) rv on rv.exchange_id = e.id") if have_rv else \
            "left join (select null exchange_id, 0 n, 0 variants) rv on 0"
        # bot/rereview.py's queue: absent from logs no document was ever retired on
        lq = ("left join (select exchange_id, group_concat(case when reviewed_at is null then source_id end, ' ') "
              "open, group_concat(case when reviewed_at is not null then source_id end, ' ') done "
              "from review_queue group by exchange_id) lq on lq.exchange_id = e.id") \
            if self.columns(db, "review_queue") else "left join (select null exchange_id, null open, null done) lq on 0"
        return (f"select e.id, e.at, e.channel, e.user_hash, e.question, e.status, e.abstained, {opt}, "
                f"coalesce(fb.up, 0) up, coalesce(fb.down, 0) down, coalesce(rv.n, 0) n_verdicts, "
                f"coalesce(rv.variants, 0) variants, lq.open lapsed_open, lq.done lapsed_done "
                f"from exchanges e {fb} {rv} {lq}")

    def queue(self, f: QueueFilter, fts_ids: list[str] | None = None) -> Queue:
        """One page of the queue; `fts_ids` is the full-text match (reviews.search), if searching."""
        with self._db() as db:
            base = self._select(db)
            if base is None:
                return Queue([], 0, 1, 1)
            has_conf = "confidence" in self.columns(db)
            where, args = ["coalesce(error, '') != 'flood-limited'"], []
            if f.status == "unreviewed":
                where.append("n_verdicts = 0")
            elif f.status == "reviewed":
                where.append("n_verdicts > 0")
            elif f.status == "disagree":
                where.append("variants > 1")
            elif f.status == "lapsed":
                where.append("lapsed_open is not null")
            if f.channel:
                where.append("channel = ?")
                args.append(f.channel)
            if f.date_from:
                where.append("at >= ?")
                args.append(_utc_bound(f.date_from))
            if f.date_to:
                where.append("at < ?")
                args.append(_utc_bound(f.date_to + timedelta(days=1)))
            if f.outcome == "answered":
                where.append("status = 'answered'")
            elif f.outcome == "abstained":
                where.append("status = 'no_match'")
            elif f.outcome in ("invalid", "error"):
                where.append("status = ?")
                args.append(f.outcome)
            if f.feedback == "down":
                where.append("down > 0")
            elif f.feedback == "up":
                where.append("up > 0")
            elif f.feedback == "none":
                where.append("up + down = 0")
            if has_conf and f.conf_min is not None:
                where.append("confidence >= ?")
                args.append(f.conf_min)
            if has_conf and f.conf_max is not None:
                where.append("confidence <= ?")
                args.append(f.conf_max)
            if fts_ids is not None:
                where.append(f"id in ({','.join('?' * len(fts_ids))})" if fts_ids else "0")
                args += fts_ids
            sql = f"select * from ({base}) where {' and '.join(where)}"
            total = db.execute(f"select count(*) from ({sql})", args).fetchone()[0]
            order = "at desc" if f.order == "newest" else (
                f"(lapsed_open is not null) desc, (n_verdicts > 0), (down > 0) desc, "
                f"(confidence is not null and abs(confidence) < {NEAR_BAR}) desc, "
                f"(status = 'no_match') desc, abs(coalesce(confidence, 9)), at desc")
            pages = max(1, -(-total // PAGE))
            page = min(max(1, f.page), pages)
            rows = db.execute(f"{sql} order by {order} limit {PAGE} offset {(page - 1) * PAGE}", args)
            out = [_exchange(r) for r in rows]
            channels = [r[0] for r in db.execute("select distinct channel from exchanges order by 1")]
        return Queue(out, total, page, pages, channels, has_conf)

    def get(self, xid: str) -> Exchange | None:
        with self._db() as db:
            base = self._select(db)
            if base is None:
                return None
            row = db.execute(f"{base} where e.id = ?", (xid,)).fetchone()
        return _exchange(row) if row else None

    def all(self) -> list[Exchange]:
        """Every exchange but flood-limited ones, oldest first (dashboard, export)."""
        with self._db() as db:
            base = self._select(db)
            if base is None:
                return []
            rows = db.execute(f"select * from ({base}) where coalesce(error, '') != 'flood-limited' order by at")
            return [_exchange(r) for r in rows]

    def questions_after(self, rowid: int) -> list[tuple[int, str, str]]:
        """(rowid, id, question) of exchanges logged after `rowid`: for the full-text index."""
        with self._db() as db:
            if not self.columns(db):
                return []
            return [tuple(r) for r in db.execute(
                "select rowid, id, question from exchanges where rowid > ? order by rowid", (rowid,))]


def _exchange(r: sqlite3.Row) -> Exchange:
    try:
        cites = tuple(c for c in json.loads(r["citations"] or "[]") if isinstance(c, dict))
    except ValueError:
        cites = ()
    return Exchange(
        id=r["id"], at=_parse_at(r["at"]), channel=r["channel"] or "", user_hash=r["user_hash"] or "",
        question=r["question"] or "", status=r["status"] or "received", abstained=bool(r["abstained"]),
        citations=cites, reply=r["reply"] or "", latency_ms=r["latency_ms"], error=r["error"],
        confidence=r["confidence"], delivery=r["delivery"], up=r["up"] or 0, down=r["down"] or 0,
        verdicts=r["n_verdicts"] or 0, disagree=(r["variants"] or 0) > 1,
        lapsed=tuple((r["lapsed_open"] or "").split()), lapsed_reviewed=tuple((r["lapsed_done"] or "").split()))


def _parse_at(value: str | None) -> datetime:
    try:
        t = datetime.fromisoformat(value or "")
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _utc_bound(d: date) -> str:
    """Midnight of a Hà Nội day, in the log's UTC ISO form, for string comparison."""
    t = datetime.combine(d, time(0), VN).astimezone(timezone.utc)
    return t.isoformat(timespec="milliseconds")


def fts_query(text: str) -> str:
    """A user's search as an FTS5 query over folded words: every word must occur, the last may
    be the start of a word ("ra ngo" finds "ra ngoài")."""
    ws = words(fold(text))
    if not ws:
        return ""
    return " ".join(f'"{w}"' for w in ws[:-1]) + (" " if len(ws) > 1 else "") + f'"{ws[-1]}"*'
