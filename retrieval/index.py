"""Build and load an index directory.

    index.db       documents (original texts) and chunks (offsets, labels), via sqlite-utils
    dense.faiss    normalised passage vectors (inner product = cosine); flat or IVF by size (dense_index.py)
    lexical/       BM25 over folded, segmented text
    accents.json   the corpus's accented forms, to repair questions typed without diacritics
    words.json     the clauses' distinct words (the glossary's check for ambiguous words reads them)
    pairs.json     the adjacent word pairs any clause or FAQ question holds (pairs.py)
    faq.faiss      residents' questions written for the clauses (faq.py), as query vectors;
    faq_lexical/   the same questions in BM25; which clause each answers is in index.db (faq)
    sections.faiss the whole text around each clause (sections.py), one vector per section, as dense.faiss;
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

from . import dense_index
from .chunking import MAX_CHARS, chunk_document
from .corpus import Document, checksum
from .diacritics import AccentRestorer
from .embedding import TextEmbedder
from .faq import Entry, attach
from .glossary import corpus_words
from .lexical import LexicalIndex
from .pairs import Recorded, read_pairs, write_pairs
from .progress import Progress, in_slices
from .query import prepare
from .sections import Section
from .sections import split as split_sections
from .sparse import Sparse
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

    def per_chunk(self, scores: np.ndarray) -> Sparse:
        """Each clause's best score over its questions (only clauses that have questions)."""
        if not len(self.chunk):
            return Sparse.empty()
        order = np.argsort(self.chunk, kind="stable")
        chunks = self.chunk[order]
        starts = np.flatnonzero(np.r_[True, chunks[1:] != chunks[:-1]])
        best = np.maximum.reduceat(scores[self.question[order]].astype(np.float32), starts)
        return Sparse(chunks[starts].astype(np.int64), best)


@dataclass
class SectionIndex:
    """Whole documents or paragraphs (sections.py), scored whole alongside their clauses.

    The vectors stay in FAISS (flat, or IVF for a large corpus, as for clauses): a question reads
    the nearest sections and the cosines of its candidates' sections, never every section."""

    dense: faiss.Index  # one normalised vector per section (inner product = cosine)
    lexical: LexicalIndex
    of_chunk: np.ndarray  # for each clause of Index.chunks: its section's row

    def __post_init__(self):
        order = np.argsort(self.of_chunk, kind="stable")  # the clauses of each section, in order
        self._members = order
        self._starts = np.searchsorted(self.of_chunk[order], np.arange(self.dense.ntotal + 1))

    def __len__(self) -> int:
        return int(self.dense.ntotal)

    def clauses_of(self, sections: np.ndarray) -> np.ndarray:
        """The positions of the clauses that sit in `sections` (ascending)."""
        parts = [self._members[self._starts[j]:self._starts[j + 1]] for j in np.asarray(sections, dtype=np.int64)]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def matrix(self) -> np.ndarray | None:
        """Every section's vector (a view of an exact index's storage, no copy); None for an
        approximate index."""
        if not isinstance(self.dense, faiss.IndexFlat):
            return None
        n, d = self.dense.ntotal, self.dense.d
        return faiss.rev_swig_ptr(self.dense.get_xb(), n * d).reshape(n, d) if n else np.zeros((0, d), np.float32)

    def cosines(self, sections: np.ndarray, vec: np.ndarray) -> np.ndarray:
        """Exact cosines of `sections` to the question's vector."""
        sections = np.asarray(sections, dtype=np.int64)
        if not sections.size:
            return np.zeros(0, np.float32)
        return self.dense.reconstruct_batch(sections) @ vec


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
    words: list[str] | None = None  # the clauses' distinct words (glossary.corpus_words), if recorded
    pairs: Recorded | None = None  # the pairs clauses and FAQ questions hold (pairs.py), if recorded


def passage_text(chunk: Chunk, source: Source) -> str:
    """What the dense model reads for a chunk: the clause under its heading."""
    heading = chunk.heading or source.title
    return f"{heading}: {chunk.text}" if heading else chunk.text


def build(docs: list[Document], embedder: TextEmbedder, out: Path, corpus_name: str = "",
          faq: Sequence[Entry] = (), progress: bool = False) -> dict:
    """Write a complete index to `out` (built beside it, then swapped in); with `progress`, the
    long steps report on stderr as they go (progress.py)."""
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

    write_tables(tmp / "index.db", docs, chunks, sections, section_of)

    t1 = time.perf_counter()
    chunk_texts = [passage_text(c, by_id[c.source_id]) for c in chunks]
    vectors = in_slices(chunk_texts, embedder.passages,
                        Progress(len(chunks), "clauses embedded") if progress else None)
    section_vectors = _section_vectors(sections, section_of, chunk_texts, vectors, embedder, progress)
    t_embed = time.perf_counter() - t1
    dense, dense_info = dense_index.make(vectors, progress=progress)  # flat, or IVF for a large corpus
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    store, section_info = dense_index.make(section_vectors, progress=progress)
    faiss.write_index(store, str(tmp / "sections.faiss"))
    LexicalIndex.build([s.text for s in sections], progress, "sections segmented for BM25").save(tmp / "section_lexical")

    texts = [c.text for c in chunks]
    LexicalIndex.build(texts, progress).save(tmp / "lexical")
    write_words(tmp, texts)
    accents = AccentRestorer.build([d.text for d in docs], progress)
    accents.save(tmp / "accents.json")
    links = attach(faq, chunks)
    if links:
        _build_faq(links, embedder, accents, tmp, progress)
    write_pairs(tmp, texts, (q for q, _ in links))

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
        "dense_index": dense_info,
        "section_index": section_info,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "embed_seconds": round(t_embed, 2),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    from .generations import publish

    publish(tmp, out)  # a new generation, made current by one atomic rename (generations.py)
    return manifest


def _section_vectors(sections, section_of, chunk_texts, chunk_vectors, embedder,
                     progress: bool = False) -> np.ndarray:
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
        out[todo] = in_slices([sections[j].text for j in todo], embedder.passages,
                              Progress(len(todo), "sections embedded") if progress else None)
    return out


def write_words(path: Path, texts: Sequence[str]) -> None:
    """words.json: the clauses' distinct words, so loading a large index reads no clause for them."""
    (path / "words.json").write_text(json.dumps(sorted(corpus_words(texts)), ensure_ascii=False), encoding="utf-8")


def write_tables(path: Path, docs: Sequence[Document], chunks: Sequence[Chunk], sections: Sequence[Section],
                 section_of: Sequence[int]) -> None:
    """index.db: the documents (original texts), the clauses in search order (`seq`), and the
    sections with the section of each clause."""
    db = sqlite_utils.Database(path)
    db["documents"].insert_all(({**d.source.to_dict(), "text": d.text} for d in docs), pk="id")
    db["chunks"].insert_all(
        ({"id": c.id, "seq": i, "source_id": c.source_id, "start": c.start, "end": c.end,
          "text": c.text, "location": c.location, "heading": c.heading} for i, c in enumerate(chunks)),
        pk="id", foreign_keys=[("source_id", "documents", "id")])
    db["chunks"].create_index(["source_id"])
    db["sections"].insert_all(({"seq": i, "source_id": s.source_id, "start": s.start, "end": s.end}
                               for i, s in enumerate(sections)), pk="seq")
    db["section_of"].insert_all(({"chunk_seq": i, "section_seq": int(j)} for i, j in enumerate(section_of)),
                                pk="chunk_seq")
    db.close()


def _build_faq(links: list[tuple[str, int]], embedder: TextEmbedder, accents: AccentRestorer, tmp: Path,
               progress: bool = False) -> None:
    """Questions are read as a resident's would be: shorthand expanded, diacritics restored."""
    questions = list(dict.fromkeys(q for q, _ in links))
    row = {q: i for i, q in enumerate(questions)}
    db = sqlite_utils.Database(tmp / "index.db")
    db["faq"].insert_all(({"question_row": row[q], "question": q, "chunk_seq": i} for q, i in links))
    db.close()
    vectors = in_slices([prepare(q, accents).dense_text for q in questions], embedder.queries,
                        Progress(len(questions), "FAQ questions embedded") if progress else None)
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
        chunks = [Chunk(*row) for row in db.execute(  # plain rows: a million clauses load in seconds
            "select id, source_id, start, end, text, location, heading from chunks order by seq")]
        faq = _load_faq(path, db)
        of_chunk = np.array([r[0] for r in db.execute("select section_seq from section_of order by chunk_seq")],
                            dtype=np.int64)
        db.close()
        section_store = dense_index.ready(faiss.read_index(str(path / "sections.faiss")),
                                          manifest.get("section_index"))
        sections = SectionIndex(section_store, LexicalIndex.load(path / "section_lexical"), of_chunk)
        dense = dense_index.ready(faiss.read_index(str(path / "dense.faiss")), manifest.get("dense_index"))
        lexical = LexicalIndex.load(path / "lexical")
        accents = AccentRestorer.load(path / "accents.json")
        words = json.loads((path / "words.json").read_text(encoding="utf-8")) \
            if (path / "words.json").is_file() else None
        pairs = read_pairs(path)
    except Exception as e:
        raise IndexNotUsable(f"The index at {path} is incomplete or damaged ({e}). "
                          f"Rebuild it with: {rebuild}") from None
    if dense.ntotal != len(chunks) or dense.d != manifest.get("dim") or (
            faq and len(faq.questions) != len(faq.vectors)) or len(of_chunk) != len(chunks) or (
            of_chunk.size and of_chunk.max() >= len(sections)):
        raise IndexNotUsable(f"The index at {path} is inconsistent. Rebuild it with: {rebuild}")
    return Index(path, manifest, sources, texts, chunks, dense, lexical, accents, faq, sections, words, pairs)
