"""Build and load an index directory.

    index.db       documents (original texts) and chunks (offsets, labels), via sqlite-utils
    dense.faiss    normalised passage vectors (inner product = cosine)
    lexical/       BM25 over folded, segmented text
    accents.json   the corpus's accented forms, to repair questions typed without diacritics
    faq.faiss      residents' questions written for the clauses (faq.py), as query vectors;
    faq_lexical/   the same questions in BM25; which clause each answers is in index.db (faq)
    sections.faiss the whole text around each clause (sections.py), one vector per section;
    section_lexical/  the same sections in BM25; which section each clause sits in is in index.db
    manifest.json  model, dimensions, corpus checksum, build time: checked on load
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np
import sqlite_utils

from .chunking import MAX_CHARS, chunk_document
from .corpus import Document, checksum
from .diacritics import AccentRestorer
from .embedding import TextEmbedder
from .faq import Entry, attach
from .lexical import LexicalIndex
from .query import prepare
from .sections import split as split_sections
from .types import Chunk, Source

FORMAT = 3


class IndexNotUsable(RuntimeError):
    """The index is missing, stale or built differently; the message says what to run."""


@dataclass
class FaqIndex:
    """The FAQ's questions (one vector and one BM25 document each) and the clauses they belong to."""

    questions: list[str]
    vectors: np.ndarray  # (questions, dim), normalised
    lexical: LexicalIndex
    question: np.ndarray  # for each (question, clause) link: the question's row
    chunk: np.ndarray  # ... and the clause's position in Index.chunks

    def per_chunk(self, scores: np.ndarray, n_chunks: int, empty: float) -> np.ndarray:
        """Each clause's best score over its questions; `empty` where it has none."""
        out = np.full(n_chunks, empty, dtype=np.float32)
        np.maximum.at(out, self.chunk, scores[self.question])
        return out


@dataclass
class SectionIndex:
    """Whole documents or paragraphs (sections.py), scored whole alongside their clauses."""

    vectors: np.ndarray  # (sections, dim), normalised
    lexical: LexicalIndex
    of_chunk: np.ndarray  # for each clause of Index.chunks: its section's row


@dataclass
class Index:
    path: Path
    manifest: dict
    sources: dict[str, Source]
    texts: dict[str, str]  # source id → original text, to verify every quote
    chunks: list[Chunk]
    dense: faiss.Index
    lexical: LexicalIndex
    accents: AccentRestorer
    faq: FaqIndex | None = None
    sections: SectionIndex | None = None


def passage_text(chunk: Chunk, source: Source) -> str:
    """What the dense model reads for a chunk: the clause under its heading."""
    heading = chunk.heading or source.title
    return f"{heading}: {chunk.text}" if heading else chunk.text


def build(docs: list[Document], embedder: TextEmbedder, out: Path, corpus_name: str = "",
          faq: Sequence[Entry] = ()) -> dict:
    """Write a complete index to `out` (built beside it, then swapped in)."""
    t0 = time.perf_counter()
    backend, backend_checksum = embedder.backend, embedder.backend_checksum  # a wrapper must pass them on
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))

    per_doc = [chunk_document(d.source.id, d.text) for d in docs]
    chunks = [c for cs in per_doc for c in cs]
    if not chunks:
        raise IndexNotUsable("The corpus has no text to index.")
    by_id = {d.source.id: d.source for d in docs}
    sections, section_of = [], []
    for d, cs in zip(docs, per_doc):
        found, of = split_sections(d.source.id, d.source.title, d.text, cs, embedder.fits)
        section_of += [len(sections) + i for i in of]
        sections += found

    db = sqlite_utils.Database(tmp / "index.db")
    db["documents"].insert_all(({**d.source.to_dict(), "text": d.text} for d in docs), pk="id")
    db["chunks"].insert_all(
        ({"id": c.id, "seq": i, "source_id": c.source_id, "start": c.start, "end": c.end,
          "text": c.text, "location": c.location, "heading": c.heading} for i, c in enumerate(chunks)),
        pk="id", foreign_keys=[("source_id", "documents", "id")])
    db["chunks"].create_index(["source_id"])
    db["sections"].insert_all(({"seq": i, "source_id": s.source_id, "start": s.start, "end": s.end}
                               for i, s in enumerate(sections)), pk="seq")
    db["section_of"].insert_all(({"chunk_seq": i, "section_seq": j} for i, j in enumerate(section_of)),
                                pk="chunk_seq")
    db.close()

    t1 = time.perf_counter()
    chunk_texts = [passage_text(c, by_id[c.source_id]) for c in chunks]
    vectors = embedder.passages(chunk_texts)
    section_vectors = _section_vectors(sections, section_of, chunk_texts, vectors, embedder)
    t_embed = time.perf_counter() - t1
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    store = faiss.IndexFlatIP(vectors.shape[1])
    store.add(section_vectors)
    faiss.write_index(store, str(tmp / "sections.faiss"))
    LexicalIndex.build([s.text for s in sections]).save(tmp / "section_lexical")

    texts = [c.text for c in chunks]
    LexicalIndex.build(texts).save(tmp / "lexical")
    accents = AccentRestorer.build([d.text for d in docs])
    accents.save(tmp / "accents.json")
    links = attach(faq, chunks)
    if links:
        _build_faq(links, embedder, accents, tmp)

    manifest = {
        "format": FORMAT,
        "model": embedder.name,
        "backend": backend,
        "backend_checksum": backend_checksum,
        "dim": int(vectors.shape[1]),
        "corpus": corpus_name,
        "corpus_checksum": checksum(docs, faq),
        "documents": len(docs),
        "chunks": len(chunks),
        "sections": len(sections),
        "faq_questions": len({q for q, _ in links}),
        "max_chunk_chars": MAX_CHARS,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "embed_seconds": round(t_embed, 2),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    from .generations import publish

    publish(tmp, out)  # a new generation, made current by one atomic rename (generations.py)
    return manifest


def _section_vectors(sections, section_of, chunk_texts, chunk_vectors, embedder) -> np.ndarray:
    """One vector per section; a section that is one clause word for word reuses its vector."""
    out = np.zeros((len(sections), chunk_vectors.shape[1]), dtype=np.float32)
    members: dict[int, list[int]] = {}
    for i, j in enumerate(section_of):
        members.setdefault(j, []).append(i)
    todo = []
    for j, s in enumerate(sections):
        m = members.get(j, [])
        if len(m) == 1 and chunk_texts[m[0]] == s.text:
            out[j] = chunk_vectors[m[0]]
        else:
            todo.append(j)
    if todo:
        out[todo] = embedder.passages([sections[j].text for j in todo])
    return out


def _build_faq(links: list[tuple[str, int]], embedder: TextEmbedder, accents: AccentRestorer, tmp: Path) -> None:
    """Questions are read as a resident's would be: shorthand expanded, diacritics restored."""
    questions = list(dict.fromkeys(q for q, _ in links))
    row = {q: i for i, q in enumerate(questions)}
    db = sqlite_utils.Database(tmp / "index.db")
    db["faq"].insert_all(({"question_row": row[q], "question": q, "chunk_seq": i} for q, i in links))
    db.close()
    vectors = embedder.queries([prepare(q, accents).dense_text for q in questions])
    store = faiss.IndexFlatIP(vectors.shape[1])
    store.add(vectors)
    faiss.write_index(store, str(tmp / "faq.faiss"))
    LexicalIndex.build(questions).save(tmp / "faq_lexical")


def _load_faq(path: Path, db: sqlite_utils.Database) -> FaqIndex | None:
    if not (path / "faq.faiss").is_file():
        return None
    rows = list(db.query("select question_row, question, chunk_seq from faq"))
    questions = {r["question_row"]: r["question"] for r in rows}
    store = faiss.read_index(str(path / "faq.faiss"))
    return FaqIndex(questions=[questions[i] for i in range(len(questions))],
                    vectors=store.reconstruct_n(0, store.ntotal),
                    lexical=LexicalIndex.load(path / "faq_lexical"),
                    question=np.array([r["question_row"] for r in rows]),
                    chunk=np.array([r["chunk_seq"] for r in rows]))


def load(path: Path, model: str | None = None, expected_checksum: str | None = None,
         backend: tuple[str, str | None] | None = None) -> Index:
    """Load an index, refusing one that does not match the configured model, backend or corpus.

    `backend` is (name, checksum of its model file) as embedding.expected_backend gives it: the
    same model on ONNX Runtime and on torch gives slightly different vectors, so an index is
    served only by the backend that built it."""
    rebuild = f"rulebot index --index {path}"
    path = Path(os.path.realpath(path))  # one generation, even if another is published meanwhile
    mf = path / "manifest.json"
    if not mf.is_file():
        raise IndexNotUsable(f"No index at {path}. Build it with: {rebuild}")
    try:
        manifest = json.loads(mf.read_text())
    except json.JSONDecodeError:
        raise IndexNotUsable(f"The index at {path} is damaged. Rebuild it with: {rebuild}") from None
    if manifest.get("format") != FORMAT:
        raise IndexNotUsable(f"The index at {path} has an older format. Rebuild it with: {rebuild}")
    if model and manifest.get("model") != model:
        raise IndexNotUsable(
            f"The index at {path} was built with the model '{manifest.get('model')}', but the "
            f"configured model is '{model}'. Rebuild it with: {rebuild} --model {model}")
    if backend and (manifest.get("backend", "torch"), manifest.get("backend_checksum")) != tuple(backend):
        built = manifest.get("backend", "torch")
        how = "was built with another export of the ONNX model" if built == backend[0] else \
            f"was built with the {built} backend, but the configured backend is {backend[0]}"
        model_arg = f" --model {model}" if model else ""
        raise IndexNotUsable(f"The index at {path} {how}. Rebuild it with: "
                             f"RULEBOT_BACKEND={backend[0]} {rebuild}{model_arg}")
    if expected_checksum and manifest.get("corpus_checksum") != expected_checksum:
        raise IndexNotUsable(f"The index at {path} is stale: the documents or the FAQ changed since it "
                          f"was built. Rebuild it with: {rebuild}")
    try:
        db = sqlite_utils.Database(path / "index.db")
        sources, texts = {}, {}
        for row in db["documents"].rows:
            texts[row["id"]] = row.pop("text")
            sources[row["id"]] = Source.from_dict(row)
        chunks = [Chunk(id=r["id"], source_id=r["source_id"], start=r["start"], end=r["end"],
                        text=r["text"], location=r["location"], heading=r["heading"])
                  for r in db.query("select * from chunks order by seq")]
        faq = _load_faq(path, db)
        of_chunk = np.array([r["section_seq"] for r in db.query("select * from section_of order by chunk_seq")])
        db.close()
        section_store = faiss.read_index(str(path / "sections.faiss"))
        sections = SectionIndex(section_store.reconstruct_n(0, section_store.ntotal),
                                LexicalIndex.load(path / "section_lexical"), of_chunk)
        dense = faiss.read_index(str(path / "dense.faiss"))
        lexical = LexicalIndex.load(path / "lexical")
        accents = AccentRestorer.load(path / "accents.json")
    except Exception as e:
        raise IndexNotUsable(f"The index at {path} is incomplete or damaged ({e}). "
                          f"Rebuild it with: {rebuild}") from None
    if dense.ntotal != len(chunks) or dense.d != manifest.get("dim") or (
            faq and len(faq.questions) != len(faq.vectors)) or len(of_chunk) != len(chunks) or (
            of_chunk.size and of_chunk.max() >= len(sections.vectors)):
        raise IndexNotUsable(f"The index at {path} is inconsistent. Rebuild it with: {rebuild}")
    return Index(path, manifest, sources, texts, chunks, dense, lexical, accents, faq, sections)
