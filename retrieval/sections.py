"""Sections: the whole text a clause sits in, as far as the embedding model can read it at once.

Clauses are cut into windows of at most 400 characters so that a quote is short and exact, but a
long answer judged only by its best window loses evidence spread over the rest of it (on
ViCoV19QA, e5 over whole answers ranks them better than over their best window). So every
clause also belongs to a section, scored whole by both sides:

* the whole document, when the model reads all of it in one go (a Q&A answer, a short notice);
* otherwise each of its paragraphs (a directive of many pages: a vector of its first 512 tokens
  would say little about a clause on page 3, while the paragraph around it says a lot).

Nothing here depends on a particular corpus; the only setting is the model's own window.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .chunking import paragraphs
from .types import Chunk


@dataclass(frozen=True)
class Section:
    source_id: str
    start: int  # offsets into the source text: the first and last character indexed
    end: int
    text: str  # what the models read: the heading (or title) and the body text, paragraphs joined


def split(source_id: str, title: str, text: str, chunks: Sequence[Chunk],
          fits: Callable[[str], bool]) -> tuple[list[Section], list[int]]:
    """One document's sections, and for each of its chunks (in order) its section's position.

    `fits(text)` says whether the model reads the text whole (within its maximum length)."""
    body = [p for p in paragraphs(text) if not p.heading]
    if not chunks or not body:
        return [], []

    def para_of(c: Chunk) -> int:
        return next((i for i, p in enumerate(body) if p.start <= c.start < p.end), len(body) - 1)

    whole = "\n".join(p.text for p in body)
    whole_text = f"{title}: {whole}" if title else whole
    if fits(whole_text):
        return [Section(source_id, body[0].start, body[-1].end, whole_text)], [0] * len(chunks)
    order: dict[int, int] = {}
    sections: list[Section] = []
    of_chunk = []
    for c in chunks:
        i = para_of(c)
        if i not in order:
            order[i] = len(sections)
            head = c.heading or title
            p = body[i]
            sections.append(Section(source_id, p.start, p.end, f"{head}: {p.text}" if head else p.text))
        of_chunk.append(order[i])
    return sections, of_chunk
