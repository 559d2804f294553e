"""Cut cleaned text into clauses a resident can be shown: numbered items, paragraphs, sentences.

Every chunk is an exact slice of the original file (`text[start:end]`), at most MAX_CHARS long,
and carries a human label of where it sits ("mục 3", "đoạn 4") and the heading above it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .cleaning import Line, clean
from .types import Chunk

MAX_CHARS = 400
MAX_JOINED_CHARS = 600  # two windows of one paragraph shown as one passage (see join)
_ITEM = re.compile(r"^(\d{1,2})\s*[.)]\s+")
_END_PUNCT = ".!?;:…"
_CLOSERS = "\"”’)]*"


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    text: str
    heading: bool


def chunk_document(source_id: str, text: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    heading: str | None = None
    paras = paragraphs(text)
    label = Labeller(legal=is_legal([p.text for p in paras]))
    for para in paras:
        if para.heading:
            heading = " ".join(para.text.split())
            label.heading(heading)
            continue
        location = label.body(para.text)
        for start, end in _pieces(text, para.start, para.end):
            chunks.append(Chunk(
                id=f"{source_id}:{len(chunks) + 1:03d}", source_id=source_id, start=start, end=end,
                text=text[start:end], location=location, heading=heading,
            ))
    return chunks


_ARTICLE = re.compile(r"^Điều\s+(\d{1,3})\s*(?:[.:]|$)")
_POINT = re.compile(r"^([a-zđ])\s*\)\s+")


def is_legal(texts: list[str]) -> bool:
    """A legal text is laid out in articles: "Điều 1.", "Điều 2." at the start of lines."""
    return len({m.group(1) for t in texts if (m := _ARTICLE.match(t))}) >= 2


class Labeller:
    """Where a paragraph sits, in the document's own terms: "Điều 5, khoản 2, điểm a" in a legal
    text, "mục 3" (", điểm a", ", đoạn 2") under a numbered item, "đoạn 4" otherwise."""

    def __init__(self, legal: bool = False):
        self.legal = legal
        self.body_para = 0
        self.item: int | None = None  # numbered item; in a legal text, the khoản of the article
        self.item_para = 0
        self.point: str | None = None
        self.article: int | None = None

    def heading(self, text: str) -> None:
        """A heading such as "Điều 5. Phạm vi điều chỉnh" opens an article."""
        m = _ARTICLE.match(text) if self.legal else None
        if m:
            self.article, self.item, self.point = int(m.group(1)), None, None

    def body(self, text: str) -> str:
        self.body_para += 1
        article = _ARTICLE.match(text) if self.legal else None
        item = _ITEM.match(text)
        point = _POINT.match(text) if (self.item is not None or self.article is not None) else None
        if article:
            self.article, self.item, self.point = int(article.group(1)), None, None
        elif item:
            self.item, self.item_para, self.point = int(item.group(1)), 1, None
        elif point:
            self.point = point.group(1)
        elif self.item is not None:
            self.item_para += 1
        if self.legal and self.article is not None:
            parts = [f"Điều {self.article}"]
            if self.item is not None:
                parts.append(f"khoản {self.item}")
            if self.point:
                parts.append(f"điểm {self.point}")
            return ", ".join(parts)
        if self.item is None:
            return f"đoạn {self.body_para}"
        if self.point:
            return f"mục {self.item}, điểm {self.point}"
        return f"mục {self.item}" + (f", đoạn {self.item_para}" if self.item_para > 1 else "")


def overlap(a: Chunk, b: Chunk) -> bool:
    return a.source_id == b.source_id and a.start < b.end and b.start < a.end


def join(chunks: list[Chunk], text: str) -> Chunk:
    """Overlapping windows of one paragraph as one passage: their union, still an exact slice of
    `text` (the source), under the first window's id and label."""
    first = chunks[0]
    start, end = min(c.start for c in chunks), max(c.end for c in chunks)
    return replace(first, start=start, end=end, text=text[start:end])


def paragraphs(text: str) -> list[Paragraph]:
    """Cleaned lines joined where a page break cut a sentence, then told apart as heading or body."""
    merged: list[Line] = []
    for line in clean(text):
        if merged and _continues(merged[-1].text, line.text):
            prev = merged[-1]
            merged[-1] = Line(prev.start, line.end, text[prev.start:line.end])
        else:
            merged.append(line)
    heads = [_is_heading(l.text) for l in merged]
    # A heading heads something: a short line with no text under it (the last line, or one
    # followed by another heading, such as a date line) is content, not a label.
    heads = [h and i + 1 < len(heads) and not heads[i + 1] for i, h in enumerate(heads)]
    return [Paragraph(l.start, l.end, l.text, h) for l, h in zip(merged, heads)]


def _ends_sentence(s: str) -> bool:
    return s.rstrip(_CLOSERS)[-1:] in _END_PUNCT


def _continues(prev: str, cur: str) -> bool:
    return not _ends_sentence(prev) and cur[:1].islower()


def _is_heading(s: str) -> bool:
    return not _ends_sentence(s) and len(s.split()) <= 40 and not _ITEM.match(s)


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A long paragraph becomes overlapping windows of whole sentences (or clauses of an
    over-long sentence), each at most MAX_CHARS, one window starting at every unit: whatever
    a resident asks about sits whole inside some window, not cut in two at a fixed border."""
    if end - start <= MAX_CHARS:
        return [(start, end)]
    units: list[tuple[int, int]] = []
    for s, e in _split(text, start, end, _sentence_breaks):
        units.extend(_fit(text, s, e))
    pieces: list[tuple[int, int]] = []
    for i, (s, e) in enumerate(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] - s <= MAX_CHARS:
            j += 1
        if pieces and units[j][1] <= pieces[-1][1]:
            continue  # contained in the previous window
        pieces.append((s, units[j][1]))
    return pieces


def _fit(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence longer than MAX_CHARS is cut into its clauses, at every ';' and ',' (the
    windows above put them back together), else at spaces."""
    if end - start <= MAX_CHARS:
        return [(start, end)]
    parts = _split(text, start, end, _clause_breaks)
    if len(parts) > 1:
        return [p for s, e in parts for p in _fit(text, s, e)]
    cuts = [c for c in _space_breaks(text, start, end) if start < c < end]
    out, s = [], start
    while end - s > MAX_CHARS:
        fitting = [c for c in cuts if s < c <= s + MAX_CHARS]
        e = fitting[-1] if fitting else s + MAX_CHARS
        out.append((s, e))
        s = e
        while s < end and text[s].isspace():
            s += 1
    return out + ([(s, end)] if s < end else [])


def _split(text, start, end, breaks) -> list[tuple[int, int]]:
    """Split text[start:end] after each break position; trims spaces; keeps exact offsets."""
    cuts = [start, *[b for b in breaks(text, start, end)], end]
    out = []
    for s, e in zip(cuts, cuts[1:]):
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)]*(?=\s+[\"“(]?[^\W_a-zđà-ỹ])", re.UNICODE)
_ABBREV = re.compile(r"(?:\b[A-ZĐ]{1,4}|\bv\.v|\bb/cáo|\bt/hiện|\bTS|\bThS|\bPGS)\.$")


def _sentence_breaks(text, start, end):
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.group(0).startswith(".") and _ABBREV.search(text, max(start, m.start() - 8), m.start() + 1):
            continue  # "TP. Hà Nội" is not a sentence end
        yield m.end()


def _clause_breaks(text, start, end):
    for m in re.finditer(r"[;,](?=\s)", text[start:end]):
        yield start + m.end()


def _space_breaks(text, start, end):
    for m in re.finditer(r"\s", text[start:end]):
        yield start + m.start()
