"""Officials' verdicts and comments on logged exchanges, in tables beside the exchange log.

They live in the log's own SQLite file, so a verdict and the exchange it judges are backed up
together, but in tables only this module writes (`verdicts`, `comments`, and `review_fts`, the
full-text index of the questions); a verdict also closes the exchange's lapsed-source flags in
bot/rereview.py's queue, in the same transaction. Verdicts are never overwritten: an official
who changes their mind adds a row, and their latest row is their current verdict. Several
officials may judge one exchange; where their current verdicts differ, the console says so and
the gold export leaves the exchange out.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from bot.privacy import mask
from bot.rereview import mark_reviewed
from retrieval.text import fold, normalise

from .exchanges import ExchangeReader, fts_query

# Verdict kinds and how the console names them. "wrong" and "should_answer" name the right clause.
VERDICTS = {
    "correct": "Đúng",
    "wrong": "Sai, đoạn đúng là …",
    "should_answer": "Lẽ ra phải trả lời",
    "should_abstain": "Lẽ ra không trả lời",
    "outdated": "Đã lỗi thời",
}
NEEDS_CLAUSE = frozenset({"wrong", "should_answer"})
MAX_SPAN = 1500
MAX_COMMENT = 2000
T = TypeVar("T")


@dataclass(frozen=True)
class Clause:
    """A passage of a source chosen as the answer: verbatim, with its offsets when known."""

    source_id: str
    span: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Verdict:
    id: int
    exchange_id: str
    official: str
    at: str
    verdict: str
    clause: Clause | None
    comment: str
    promoted_at: str | None = None
    promoted_by: str | None = None

    @property
    def label(self) -> str:
        return VERDICTS.get(self.verdict, self.verdict)

    @property
    def key(self) -> tuple:
        """What two officials must share to agree: the kind and the clause."""
        c = self.clause
        return (self.verdict, c.source_id if c else "", normalise(c.span) if c else "")


@dataclass(frozen=True)
class Comment:
    id: int
    exchange_id: str
    official: str
    at: str
    text: str


class ReviewError(ValueError):
    """A verdict that cannot be recorded; the message is shown to the official (Vietnamese)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def resolve_clause(texts: dict[str, str], *, pick: str = "", source_id: str = "", span: str = "") -> Clause:
    """The clause an official chose: `pick` is "source|start|end" from the search results, or
    `source_id` with a `span` copied from the document. Refused unless it is in the source."""
    if pick:
        try:
            sid, start, end = pick.rsplit("|", 2)
            start, end = int(start), int(end)
        except ValueError:
            raise ReviewError("Đoạn đã chọn không hợp lệ.") from None
        text = texts.get(sid)
        if text is None or not 0 <= start < end <= len(text) or end - start > MAX_SPAN:
            raise ReviewError("Đoạn đã chọn không còn trong văn bản; hãy tìm lại.")
        return Clause(sid, text[start:end], start, end)
    span = (span or "").strip()
    if not source_id or not span:
        raise ReviewError("Hãy chọn một đoạn trong kết quả tìm kiếm, hoặc chọn văn bản và dán đúng đoạn văn.")
    if source_id not in texts:
        raise ReviewError("Không có văn bản này.")
    if len(span) > MAX_SPAN:
        raise ReviewError(f"Đoạn văn dài quá (tối đa {MAX_SPAN} ký tự); hãy chọn đúng câu trả lời câu hỏi.")
    text = texts[source_id]
    at = text.find(span)
    if at >= 0:
        return Clause(source_id, span, at, at + len(span))
    if normalise(span) in normalise(text):  # line breaks differ from the file: keep it, no offsets
        return Clause(source_id, normalise(span))
    raise ReviewError("Đoạn văn này không có nguyên văn trong văn bản đã chọn; hãy sao chép đúng từng chữ.")


class ReviewStore:
    def __init__(self, log_path: str | Path):
        self.path = Path(log_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sync_lock = threading.Lock()
        with self._db() as db:
            db.execute("pragma journal_mode = wal")
            db.executescript("""
                create table if not exists verdicts (
                    id integer primary key autoincrement, exchange_id text not null,
                    official text not null, at text not null, verdict text not null,
                    source_id text, span text, start integer, "end" integer, comment text,
                    promoted_at text, promoted_by text);
                create index if not exists verdicts_exchange on verdicts(exchange_id);
                create table if not exists comments (
                    id integer primary key autoincrement, exchange_id text not null,
                    official text not null, at text not null, text text not null);
                create index if not exists comments_exchange on comments(exchange_id);
                create virtual table if not exists review_fts using fts5(
                    folded, xid unindexed, tokenize = 'unicode61');
                create table if not exists review_fts_state (id integer primary key check (id = 1),
                    last_rowid integer not null);
            """)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # --- verdicts and comments -------------------------------------------------------------

    def judge(self, exchange_id: str, official: str, verdict: str, clause: Clause | None = None,
              comment: str = "") -> Verdict:
        if verdict not in VERDICTS:
            raise ReviewError("Hãy chọn một đánh giá.")
        if verdict in NEEDS_CLAUSE and clause is None:
            raise ReviewError("Đánh giá này cần chọn đoạn đúng.")
        comment = mask((comment or "").strip())[:MAX_COMMENT]
        c = clause
        with self._db() as db:
            cur = db.execute(
                'insert into verdicts (exchange_id, official, at, verdict, source_id, span, start, "end", '
                "comment) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (exchange_id, official, _now(), verdict, c.source_id if c else None, c.span if c else None,
                 c.start if c else None, c.end if c else None, comment))
            mark_reviewed(db, exchange_id)  # a lapsed-source flag is answered by any verdict
            row = db.execute("select * from verdicts where id = ?", (cur.lastrowid,)).fetchone()
        return _verdict(row)

    def comment(self, exchange_id: str, official: str, text: str) -> Comment:
        text = mask((text or "").strip())[:MAX_COMMENT]
        if not text:
            raise ReviewError("Bình luận đang để trống.")
        with self._db() as db:
            cur = db.execute("insert into comments (exchange_id, official, at, text) values (?, ?, ?, ?)",
                             (exchange_id, official, _now(), text))
            row = db.execute("select * from comments where id = ?", (cur.lastrowid,)).fetchone()
        return Comment(**dict(row))

    def history(self, exchange_id: str) -> list[Verdict]:
        """Every verdict on the exchange, oldest first."""
        with self._db() as db:
            return [_verdict(r) for r in db.execute(
                "select * from verdicts where exchange_id = ? order by id", (exchange_id,))]

    def current(self, exchange_id: str | None = None) -> dict[str, list[Verdict]]:
        """Each official's latest verdict, per exchange."""
        where, args = ("where exchange_id = ?", (exchange_id,)) if exchange_id else ("", ())
        with self._db() as db:
            rows = db.execute(f"select * from verdicts where id in (select max(id) from verdicts {where} "
                              "group by exchange_id, official) order by id", args)
            out: dict[str, list[Verdict]] = {}
            for r in rows:
                out.setdefault(r["exchange_id"], []).append(_verdict(r))
        return out

    def get(self, verdict_id: int) -> Verdict | None:
        with self._db() as db:
            row = db.execute("select * from verdicts where id = ?", (verdict_id,)).fetchone()
        return _verdict(row) if row else None

    def comments(self, exchange_id: str) -> list[Comment]:
        with self._db() as db:
            return [Comment(**dict(r)) for r in db.execute(
                "select * from comments where exchange_id = ? order by id", (exchange_id,))]

    def mark_promoted(self, verdict_id: int, official: str, add: Callable[[], T] = lambda: None) -> T:
        """Mark the verdict promoted, and run `add` (writing its FAQ line) as part of the same step:
        the mark is written first and committed only once `add` returned, so a failure of either
        leaves neither (a line without its mark would put the exchange in the export's test split,
        and a second try would be refused as already in the FAQ)."""
        with self._db() as db:
            db.execute("update verdicts set promoted_at = ?, promoted_by = ? where id = ?",
                       (_now(), official, verdict_id))
            return add()

    def promoted(self) -> set[str]:
        """Exchanges whose question went into the officials' FAQ (the export keeps them apart)."""
        with self._db() as db:
            return {r[0] for r in db.execute("select distinct exchange_id from verdicts where promoted_at is not null")}

    # --- full-text search ------------------------------------------------------------------

    def sync_search(self, reader: ExchangeReader) -> int:
        """Index questions logged since the last call (folded, so diacritics are optional).
        Questions are written once and never edited, so the log's rowid marks progress."""
        with self._sync_lock, self._db() as db:
            row = db.execute("select last_rowid from review_fts_state where id = 1").fetchone()
            last = row[0] if row else 0
            new = reader.questions_after(last)
            if new:
                db.executemany("insert into review_fts (rowid, folded, xid) values (?, ?, ?)",
                               [(rowid, fold(q or ""), xid) for rowid, xid, q in new])
                db.execute("insert or replace into review_fts_state (id, last_rowid) values (1, ?)",
                           (new[-1][0],))
            return len(new)

    def search(self, text: str, limit: int = 5000) -> list[str]:
        q = fts_query(text)
        if not q:
            return []
        with self._db() as db:
            return [r[0] for r in db.execute(
                "select xid from review_fts where review_fts match ? order by rank limit ?", (q, limit))]


def _verdict(r: sqlite3.Row) -> Verdict:
    clause = Clause(r["source_id"], r["span"], r["start"], r["end"]) if r["source_id"] else None
    return Verdict(id=r["id"], exchange_id=r["exchange_id"], official=r["official"], at=r["at"],
                   verdict=r["verdict"], clause=clause, comment=r["comment"] or "",
                   promoted_at=r["promoted_at"], promoted_by=r["promoted_by"])


def disagree(verdicts: list[Verdict]) -> bool:
    return len({v.key for v in verdicts}) > 1
