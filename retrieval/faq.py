"""Questions residents ask, each tied to the verbatim clause that answers it (`data/faq.jsonl`).

e5-small does not connect many everyday paraphrases to the directives' wording ("có ai nghe máy
cả đêm không" / "trực 24/24h"), and a question is far closer to another question than to a
clause. So each clause carries questions written for it, and a resident's question is matched
against those as well as against the clause (document expansion, written by hand from the texts,
not generated). Entries name a span of the source, not a chunk, so the file outlives rechunking.

JSON lines: `{"source_id": "...", "span": "<copied verbatim from the source>", "ask": ["...", ...]}`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .corpus import CorpusError, Document
from .jsonlines import objects
from .text import contains_either, normalise
from .types import Chunk


class FaqError(CorpusError):
    """An FAQ file that cannot be used; the message says which line and what to fix."""


@dataclass(frozen=True)
class Entry:
    source_id: str
    span: str  # verbatim from the source: the clause that answers every question in `ask`
    ask: tuple[str, ...]


def load(path: str | Path, docs: list[Document]) -> list[Entry]:
    """Read an FAQ file, refusing a span that is not, word for word, in its source."""
    texts = {d.source.id: normalise(d.text) for d in docs}
    out = []
    for where, rec in objects(Path(path), FaqError, "FAQ file"):
        sid, span, ask = rec.get("source_id"), rec.get("span"), rec.get("ask")
        if sid not in texts:
            raise FaqError(f"{where}: unknown source_id {sid!r}")
        if not isinstance(span, str) or not span.strip():
            raise FaqError(f"{where}: missing 'span'")
        if normalise(span) not in texts[sid]:
            raise FaqError(f"{where}: the span is not in {sid}; copy it from the source exactly")
        if not isinstance(ask, list) or not ask or not all(isinstance(q, str) and q.strip() for q in ask):
            raise FaqError(f"{where}: 'ask' must be a non-empty list of questions")
        out.append(Entry(sid, span, tuple(q.strip() for q in ask)))
    return out


def curated() -> tuple[list[Document], list[Entry]]:
    """The curated corpus: data/sources.toml and the documents officials added since
    ($RULEBOT_DOCUMENTS, retrieval.documents); the FAQ written for the shipped ones and the lines
    officials added from reviewed questions."""
    from .documents import Store

    docs = Store().documents()
    return docs, curated_entries(docs)


def curated_entries(docs: list[Document]) -> list[Entry]:
    """The FAQ an index of `docs` is built with: the shipped lines and the officials' (an index
    update must use the same, or the engine finds the index stale)."""
    return load(settings.DEFAULT_FAQ, docs) + officials(docs)


def officials(docs: list[Document]) -> list[Entry]:
    """The lines officials added from reviewed questions (none until the first is added)."""
    path = settings.officials_faq_path()
    return load(path, docs) if path and path.is_file() else []


def attach(entries: Sequence[Entry], chunks: list[Chunk]) -> list[tuple[str, int]]:
    """(question, chunk position) for every chunk that holds an entry's span or lies inside it.

    A span no indexed chunk matches (a headline the cleaner dropped) attaches to nothing."""
    by_source: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_source.setdefault(c.source_id, []).append(i)
    return [(q, i) for e in entries for i in by_source.get(e.source_id, [])
            if contains_either(chunks[i].text, e.span) for q in e.ask]
