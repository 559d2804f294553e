"""A small stand-in for retrieval.engine.Engine, so console tests run without the model.

It holds the real documents, chunked as the index chunks them, and ranks clauses by the share of
the question's words they contain; FAQ entries given to it answer their questions word for word,
like the real FAQ side does for a question asked exactly as written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from retrieval import answer as answering
from retrieval import settings
from retrieval.chunking import chunk_document
from retrieval.corpus import load_manifest
from retrieval.query import QUESTION_WORDS
from retrieval.text import contains_either, fold, normalise, words
from retrieval.types import Answer, Chunk, Hit, Source

_DOCS = None


def docs():
    global _DOCS
    if _DOCS is None:
        _DOCS = load_manifest(settings.DEFAULT_MANIFEST)
    return _DOCS


@dataclass
class FakeIndex:
    sources: dict[str, Source]
    texts: dict[str, str]
    chunks: list[Chunk]
    manifest: dict = field(default_factory=dict)
    path: Path = Path("fake-index")
    faq: object = None


class FakeEngine:
    def __init__(self, faq_entries=(), bar: float = 0.75):
        ds = docs()
        chunks = [c for d in ds for c in chunk_document(d.source.id, d.text)]
        self.index = FakeIndex({d.source.id: d.source for d in ds}, {d.source.id: d.text for d in ds}, chunks,
                               {"built_at": "2021-08-01T00:00:00+00:00", "documents": len(ds), "chunks": len(chunks),
                                "faq_questions": sum(len(e.ask) for e in faq_entries), "build_seconds": 0.01})
        self.bar = bar
        self._words = [set(words(fold(c.text))) for c in chunks]
        self._faq = {normalise(fold(q)): e for e in faq_entries for q in e.ask}

    @property
    def sources(self):
        return sorted(self.index.sources.values(), key=lambda s: s.date or date.min, reverse=True)

    def search(self, question, k=5, mode="hybrid", as_of=None):
        asked = [w for w in words(fold(question)) if w not in QUESTION_WORDS]
        entry = self._faq.get(normalise(fold(question)))
        scored = []
        for i, c in enumerate(self.index.chunks):
            share = sum(w in self._words[i] for w in asked) / len(asked) if asked else 0.0
            if entry and c.source_id == entry.source_id and contains_either(c.text, entry.span):
                share += 1.0
            scored.append((share, -i))
        scored.sort(reverse=True)
        hits = [Hit(self.index.chunks[-i], s, r + 1, s >= self.bar) for r, (s, i) in enumerate(scored[:k]) if s > 0]
        return SimpleNamespace(hits=hits, abstained=not hits or not hits[0].confident, missing=None,
                               query=SimpleNamespace(text=question))

    def answer(self, question, as_of=None):
        problem = answering.check_question(question)
        if problem:
            return Answer(question or "", "invalid", notice=problem)
        return answering.build(self.index, question, self.search(question, k=5))


def fake_build(docs_, entries, out, engine):
    return {"build_seconds": 0.01, "faq_questions": sum(len(e.ask) for e in entries)}


def fake_load(out, engine, docs_, entries):
    return FakeEngine(entries, bar=engine.bar)
