"""Why an exchange is in the re-review queue: which document it quoted has lapsed, and since when.

bot/rereview.py queues the exchange under the source's id only; the document's number, title and
standing today come from the document store's validity (retrieval/validity.py), so the notice
says what an official needs to judge the old answer: "Chỉ thị 17/CT-UBND, hết hiệu lực từ …".
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bot import document_ops as ops
from bot.validity_text import name as doc_name
from retrieval.corpus import CorpusError

from .documents import status_text


@dataclass(frozen=True)
class Lapse:
    source_id: str
    name: str  # the document's number, else its title; its id when no longer known
    title: str
    standing: str  # Vietnamese, e.g. "Hết hiệu lực từ 01/12/2026"; "" when nothing is known
    reviewed: bool  # an official has judged the exchange since the source lapsed


def _d(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def short_names(source_ids: Iterable[str], sources: Mapping[str, object]) -> dict[str, str]:
    """Each id's number or title, for the queue's badges (the ids themselves when unknown)."""
    return {sid: doc_name(sources[sid]) if sid in sources else sid for sid in source_ids}


def lapses(x, store, fallback: Mapping[str, object], day: date | None = None) -> list[Lapse]:
    """The exchange's flagged sources, open ones first, with their standing on `day` (today)."""
    flagged = [(sid, False) for sid in x.lapsed] + [(sid, True) for sid in x.lapsed_reviewed]
    if not flagged:
        return []
    try:
        rows = {r.source.id: r for r in ops.rows(store, day)}
    except CorpusError:  # a manifest that no longer loads: name what the index knows
        rows = {}
    sources = {**fallback, **{sid: r.source for sid, r in rows.items()}}
    out = []
    for sid, reviewed in flagged:
        s, r = sources.get(sid), rows.get(sid)
        if r is None:
            standing = "Văn bản đã được gỡ khỏi kho" if rows else ""
        elif r.status.lapsed:
            standing = status_text(r.status, sources)[0]
        elif r.status.until:
            standing = f"Còn hiệu lực đến hết ngày {_d(r.status.until)}"
        else:
            standing = ""
        out.append(Lapse(sid, doc_name(s) if s else sid, s.title if s else "", standing, reviewed))
    return out
