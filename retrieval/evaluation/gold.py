"""Gold question sets and what counts as a relevant clause for them.

A gold file is JSON lines `{"id", "split", "question", "answerable", "diacritics", "topic",
"evidence": [{"source_id", "span"}]}`, where each span is copied verbatim from the source text.
Chunk boundaries are not the gold set's business, so a chunk is relevant to a span when one text
contains the other (NFC, whitespace collapsed): a short clause inside a long span counts, and so
does a long clause around a short span.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..corpus import CorpusError
from ..jsonlines import objects
from ..text import contains_either, has_diacritics
from ..types import Chunk

SPLITS = ("dev", "test", "all")


class GoldError(CorpusError):
    """A gold file that cannot be used; the message says which line and what to fix."""


@dataclass(frozen=True)
class Evidence:
    source_id: str
    span: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answerable: bool
    diacritics: bool
    split: str = ""
    topic: str = ""
    evidence: tuple[Evidence, ...] = ()


def load(path: str | Path, split: str = "all") -> list[GoldQuestion]:
    """Read a gold file, keep one split ("dev", "test" or "all"); duplicate evidence is dropped."""
    if split not in SPLITS:
        raise GoldError(f"split must be one of {', '.join(SPLITS)}, not '{split}'")
    path = Path(path)
    out, seen = [], set()
    for where, rec in objects(path, GoldError, "Gold file"):
        q = _parse(rec, where)
        if q.id in seen:
            raise GoldError(f"{where}: duplicate id '{q.id}'")
        seen.add(q.id)
        if split == "all" or q.split == split:
            out.append(q)
    if not out:
        raise GoldError(f"{path}: no questions in split '{split}'")
    return out


def _parse(rec: dict, where: str) -> GoldQuestion:
    for key in ("id", "question"):
        if not isinstance(rec.get(key), str) or not rec[key].strip():
            raise GoldError(f"{where}: missing '{key}'")
    answerable = rec.get("answerable")
    if not isinstance(answerable, bool):
        raise GoldError(f"{where}: 'answerable' must be true or false")
    evidence = []
    for ev in rec.get("evidence") or []:
        if not isinstance(ev, dict) or not ev.get("source_id") or not str(ev.get("span", "")).strip():
            raise GoldError(f"{where}: each evidence needs a 'source_id' and a non-empty 'span'")
        e = Evidence(str(ev["source_id"]), str(ev["span"]))
        if e not in evidence:
            evidence.append(e)
    if answerable and not evidence:
        raise GoldError(f"{where}: an answerable question needs at least one evidence span")
    diacritics = rec.get("diacritics")
    if not isinstance(diacritics, bool):  # optional in a file brought by someone else: infer it
        diacritics = has_diacritics(rec["question"])
    return GoldQuestion(id=rec["id"], question=rec["question"], answerable=answerable,
                        diacritics=diacritics, split=str(rec.get("split", "")),
                        topic=str(rec.get("topic", "")), evidence=tuple(evidence))


def covered(chunk: Chunk, evidence: tuple[Evidence, ...]) -> frozenset[int]:
    """Indices of the evidence spans this chunk is relevant to (empty: not relevant)."""
    return frozenset(i for i, ev in enumerate(evidence)
                     if ev.source_id == chunk.source_id and contains_either(chunk.text, ev.span))


def unreachable(evidence: tuple[Evidence, ...], chunks: list[Chunk]) -> list[Evidence]:
    """Spans no chunk of the index counts as relevant to (e.g. a span cut across two chunks)."""
    return [ev for i, ev in enumerate(evidence) if not any(i in covered(c, evidence) for c in chunks
                                                            if c.source_id == ev.source_id)]
