"""The officials' FAQ file: lines added from reviewed questions, beside the shipped data/faq.jsonl.

Same format as data/faq.jsonl (`{"source_id", "span", "ask": [...]}`), plus who added the line,
when, and from which exchange. Every write is checked by retrieval.faq.load itself on the
would-be file before it replaces the old one (atomically), so a line the index build would refuse
never gets in. A question for a clause that already has a line joins that line.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bot.privacy import mask
from retrieval import faq
from retrieval.corpus import Document
from retrieval.text import clean_input, normalise

log = logging.getLogger(__name__)
MAX_QUESTION = 300


class FaqLineError(ValueError):
    """A line that cannot be added; the message is shown to the official (Vietnamese)."""


@dataclass(frozen=True)
class FaqLine:
    number: int  # 1-based line number in the file
    source_id: str
    span: str
    ask: tuple[str, ...]
    by: tuple[str, ...]
    at: str
    exchanges: tuple[str, ...]


class OfficialsFaq:
    def __init__(self, path: str | Path, docs: Callable[[], list[Document]]):
        self.path = Path(path)
        self._docs = docs
        self._lock = threading.Lock()

    def lines(self) -> list[FaqLine]:
        return [_line(n, rec) for n, rec in enumerate(self._records(), 1)]

    def add(self, source_id: str, span: str, question: str, by: str, exchange_id: str = "") -> FaqLine:
        """Add `question` as a way residents ask for the clause `span`; returns the line it is on."""
        question = mask(clean_input(question or ""))
        if not question:
            raise FaqLineError("Câu hỏi đang để trống.")
        if len(question) > MAX_QUESTION:
            raise FaqLineError(f"Câu hỏi dài quá (tối đa {MAX_QUESTION} ký tự).")
        with self._lock:
            records = self._records()
            at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            same = next((r for r in records if r["source_id"] == source_id
                         and normalise(r["span"]) == normalise(span)), None)
            if same is None:
                same = {"source_id": source_id, "span": span, "ask": [], "by": [], "at": at, "exchanges": []}
                records.append(same)
            if question in same["ask"]:
                raise FaqLineError("Câu hỏi này đã có trong FAQ của đoạn này.")
            same["ask"].append(question)
            same.setdefault("by", []).append(by)
            if exchange_id:
                same.setdefault("exchanges", []).append(exchange_id)
            self._write(records)
            return _line(records.index(same) + 1, same)

    def remove(self, number: int, question: str | None = None) -> FaqLine:
        """Drop a whole line, or one of its questions (the line goes when it has none left)."""
        with self._lock:
            records = self._records()
            if not 1 <= number <= len(records):
                raise FaqLineError("Không có dòng FAQ này (có thể người khác vừa sửa); hãy tải lại trang.")
            rec = records[number - 1]
            removed = _line(number, rec)
            if question is not None and question in rec["ask"] and len(rec["ask"]) > 1:
                rec["ask"].remove(question)
            else:
                records.pop(number - 1)
            self._write(records)
            return removed

    def _records(self) -> list[dict]:
        if not self.path.is_file():
            return []
        out = []
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    rec = json.loads(line)
                    rec["ask"] = list(rec.get("ask") or [])
                except (ValueError, AttributeError, TypeError):
                    raise FaqLineError(f"Tệp {self.path.name} bị hỏng ở dòng {n}; hãy sửa tệp rồi thử lại.") from None
                out.append(rec)
        return out

    def _write(self, records: list[dict]) -> None:
        """Validate the whole would-be file with the index's own FAQ reader, then swap it in."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                for rec in records:
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            try:
                faq.load(tmp, self._docs())
            except faq.FaqError as e:
                log.warning("officials' FAQ line refused: %s", e)
                raise FaqLineError("Không thêm được vào FAQ: đoạn văn không khớp nguyên văn văn bản nguồn "
                                   "đang dùng để xây chỉ mục.") from None
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _line(number: int, rec: dict) -> FaqLine:
    return FaqLine(number, rec["source_id"], rec["span"], tuple(rec["ask"]), tuple(rec.get("by") or ()),
                   rec.get("at", ""), tuple(rec.get("exchanges") or ()))
