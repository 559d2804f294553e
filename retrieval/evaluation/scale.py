"""The cost curve (`rulebot bench --scale`): the answer path on indexes of 10k, 100k and 1M clauses.

What is real: the shipped index's clauses, vectors and FAQ (first, so the FAQ still points at its
clauses), then the ViCoV19QA answers' clauses and vectors from `rulebot vicov19qa`'s index (built
here, with the model, if it is missing). What is generated, cheaply and reproducibly (seed 0), to
reach each size: documents of CLAUSES_PER_DOC clauses, each clause the first half of one real
clause followed by the second half of another, with SWAP of the words replaced by random corpus
words; its vector the two parents' vectors mixed, plus noise, normalised; its BM25 tokens the
folded words plus the corpus's two-word compounds (no pyvi: a million clauses would take an hour).
The index directory is the real format (index.db, dense.faiss chosen by dense_index.py, BM25,
accents, FAQ, sections), loaded by the real `index.load`. Sections: the real clauses keep theirs
(vectors from their index; BM25 over their clauses' tokens, since an index keeps no section
text); a generated document is one section, its vector its clauses' mean, normalised.

What is timed, each in a new process: the cold start (process start → index loaded → first
answer printed), then `Engine.answer` + render for 100 gold questions × `repeat`, with the
question's vector looked up instead of computed (the model's cost does not depend on the corpus:
it is measured once, separately), a lexical-only search as the reference, and a hybrid search
with the sections' weight on (off for the Hanoi texts, on for Q&A answers); the serving
process's peak RSS (without the model); the index's size on disk; the build's time and peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from .. import settings

SIZES = (10_000, 100_000, 1_000_000)
WORK = settings.REPO / "var" / "scale"
DEFAULT_VICOV = settings.REPO.parent / "shared" / "bench" / "vicov19qa"  # as `rulebot vicov19qa --data`
CLAUSES_PER_DOC = 8
SWAP = 0.15  # share of a generated clause's words replaced by random corpus words
# Norm of the noise added to a generated vector (the parents' mix has norm ~1). With 0.15, the gold
# questions' cosines to generated clauses look like theirs to real ones (median over questions,
# real vs generated: best 0.885 vs 0.888, 50th 0.865 vs 0.871; nearest neighbour 0.966 vs 0.962).
NOISE = 0.15
SEED = 0
NEAREST = 200  # what the search asks FAISS for (Ranking.candidates × 4)
# One question is one search: FAISS's OpenMP threads only fight each other and the machine's other
# work (a flat search over 60k vectors: 96 ms p50 with 2 threads under load, 30 ms with 1).
SEARCH_THREADS = 1
TOP = 50  # ... and the share of it fusion uses from the dense side (Ranking.candidates)
SECTION_WEIGHT = 0.3  # the sections' weight for the timing with sections on (any weight costs the same)


@dataclass
class Base:
    """The real clauses, in index order: the shipped index's first (`hanoi` of them)."""

    docs: list  # retrieval.corpus.Document
    chunks: list  # retrieval.types.Chunk
    vectors: np.ndarray
    tokens: list[list[str]]
    accents: dict[str, str]
    hanoi: int
    sections: list  # retrieval.sections.Section of the real clauses, in index order (no text)
    section_of: np.ndarray  # for each real clause, its section's row
    section_vectors: np.ndarray
    model: str
    shipped: str  # the shipped index directory (its FAQ is copied)
    note: str  # where the real clauses come from


# --- the real clauses ---------------------------------------------------------------------------

def prepare_base(shipped: Path, vicov: Path | None, out: Path, log=print) -> Base:
    """Read the real clauses and vectors from the two indexes, segment them once (pyvi), cache."""
    from ..diacritics import AccentRestorer
    from ..index import load
    from ..lexical import document_tokens
    from ..progress import track

    main = load(shipped)
    parts = [main]
    note = f"{len(main.chunks):,} clauses of the shipped index"
    if vicov is not None:
        other = load(vicov)
        if other.manifest.get("model") != main.manifest.get("model") or other.dense.d != main.dense.d:
            raise RuntimeError(f"{vicov} was built with another model than {shipped}")
        parts.append(other)
        note += f" and {len(other.chunks):,} of ViCoV19QA's answers"
        if other.manifest.get("note"):  # how that index was made, when it says
            note += f" ({other.manifest['note']})"
    docs, chunks, vectors = [], [], []
    sections, section_of, section_vectors = [], [], []
    import sqlite3

    from ..corpus import Document
    from ..sections import Section

    for ix in parts:
        order = list(dict.fromkeys(c.source_id for c in ix.chunks))
        docs += [Document(ix.sources[s], ix.texts[s]) for s in order]
        chunks += ix.chunks
        vectors.append(ix.dense.reconstruct_n(0, ix.dense.ntotal))
        db = sqlite3.connect(ix.path / "index.db")
        rows = db.execute('select source_id, start, "end" from sections order by seq').fetchall()
        db.close()
        section_of.append(ix.sections.of_chunk + len(sections))
        sections += [Section(sid, start, end, "") for sid, start, end in rows]
        section_vectors.append(ix.sections.dense.reconstruct_n(0, ix.sections.dense.ntotal))
    log(f"Segmenting {len(chunks):,} real clauses for BM25 (once) …")
    tokens = [document_tokens(c.text) for c in track(chunks, "clauses segmented")]
    accents = AccentRestorer.build([d.text for d in docs], progress=True).forms
    base = Base(docs, chunks, np.vstack(vectors).astype(np.float32), tokens, accents, len(main.chunks),
                sections, np.concatenate(section_of).astype(np.int64),
                np.vstack(section_vectors).astype(np.float32), str(main.manifest.get("model")), str(shipped), note)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pickle.dumps(base, protocol=pickle.HIGHEST_PROTOCOL))
    return base


# --- generated clauses --------------------------------------------------------------------------

class Generator:
    """Clauses made of halves of real ones (see the module's docstring), reproducible."""

    def __init__(self, base: Base, seed: int = SEED):
        from ..text import fold, words

        self.base = base
        self.rng = np.random.default_rng(seed)
        self.words = [c.text.split() for c in base.chunks]
        self.vocab = [w for ws in self.words for w in ws]  # frequency-weighted by repetition
        self._folded: dict[str, list[str]] = {}
        self._fold = lambda w: words(fold(w))
        self.compounds = {t for ts in base.tokens for t in ts if t.count("_") == 1}
        self.dates = sorted({d.source.date for d in base.docs if d.source.date}) or [None]

    def folded(self, word: str) -> list[str]:
        f = self._folded.get(word)
        if f is None:
            f = self._folded[word] = self._fold(word)
        return f

    def tokens(self, text_words: list[str]) -> list[str]:
        syl = [s for w in text_words for s in self.folded(w)]
        pairs = (f"{a}_{b}" for a, b in zip(syl, syl[1:]))
        return syl + [p for p in pairs if p in self.compounds]

    def clause(self, a: int, b: int) -> list[str]:
        wa, wb = self.words[a], self.words[b]
        out = wa[:max(1, len(wa) // 2)] + wb[len(wb) // 2:]
        swap = np.flatnonzero(self.rng.random(len(out)) < SWAP)
        for i, j in zip(swap, self.rng.integers(len(self.vocab), size=len(swap))):
            out[i] = self.vocab[j]
        return out

    def vectors(self, parents: np.ndarray, out: np.ndarray, block: int = 50_000) -> None:
        """Two parents' vectors mixed, plus noise, normalised, written into `out`; in blocks, so
        a million take no more memory than their result."""
        v = self.base.vectors
        for s in range(0, len(parents), block):
            p = parents[s:s + block]
            mix = self.rng.uniform(0.55, 0.9, size=(len(p), 1)).astype(np.float32)
            x = mix * v[p[:, 0]] + (1 - mix) * v[p[:, 1]]
            noise = self.rng.standard_normal(x.shape).astype(np.float32)
            x += NOISE * noise / np.linalg.norm(noise, axis=1, keepdims=True)
            out[s:s + block] = x / np.linalg.norm(x, axis=1, keepdims=True)

    def documents(self, count: int, first_doc: int, vectors: np.ndarray):
        """`count` clauses in documents: (docs, chunks, tokens); their vectors written into `vectors`."""
        from ..corpus import Document
        from ..progress import Progress
        from ..types import Chunk, Source

        parents = self.rng.integers(len(self.base.chunks), size=(count, 2))
        docs, chunks, tokens = [], [], []
        with Progress(count, "clauses generated") as progress:
            for start in range(0, count, CLAUSES_PER_DOC):
                j = first_doc + start // CLAUSES_PER_DOC
                sid = f"gen-{j:07d}"
                clauses = [self.clause(a, b) for a, b in parents[start:start + CLAUSES_PER_DOC]]
                texts = [" ".join(ws) for ws in clauses]
                text = "\n".join(texts)
                pos = 0
                for i, t in enumerate(texts):
                    chunks.append(Chunk(f"{sid}:{i:03d}", sid, pos, pos + len(t), t, f"đoạn {i + 1}"))
                    pos += len(t) + 1
                tokens += [self.tokens(ws) for ws in clauses]
                when = self.dates[j % len(self.dates)]
                docs.append(Document(Source(sid, f"Văn bản tổng hợp số {j}", "generated", "rulebot bench",
                                            when, "Hà Nội"), text))
                progress.advance(len(texts))
        self.vectors(parents, vectors)
        return docs, chunks, tokens


def assemble(base: Base, size: int):
    """The first `size` real clauses, then generated ones: (docs, chunks, vectors, tokens, sections),
    `sections` as (sections, each clause's section row, their vectors, their BM25 tokens)."""
    from ..sections import Section

    real = min(size, len(base.chunks))
    chunks = base.chunks[:real]
    used = {c.source_id for c in chunks}
    docs = [d for d in base.docs if d.source.id in used]
    vectors = np.empty((size, base.vectors.shape[1]), dtype=np.float32)
    vectors[:real] = base.vectors[:real]
    tokens = base.tokens[:real]
    section_of = [base.section_of[:real]]
    m = int(section_of[0].max()) + 1 if real else 0  # a clause's section is never before the last one's
    sections, section_vectors = list(base.sections[:m]), [base.section_vectors[:m]]
    section_tokens: list[list[str]] = [[] for _ in range(m)]
    for i in range(real):
        section_tokens[section_of[0][i]] += tokens[i]
    if size > real:
        gdocs, gchunks, gtok = Generator(base).documents(size - real, 0, vectors[real:])
        per_doc = np.arange(size - real) // CLAUSES_PER_DOC  # one section per generated document
        section_of.append(m + per_doc)
        starts = np.flatnonzero(np.r_[True, per_doc[1:] != per_doc[:-1]])
        mean = np.add.reduceat(vectors[real:], starts, axis=0)
        section_vectors.append(mean / np.linalg.norm(mean, axis=1, keepdims=True))
        sections += [Section(d.source.id, 0, len(d.text), "") for d in gdocs]
        section_tokens += [[t for ts in gtok[s:s + CLAUSES_PER_DOC] for t in ts] for s in starts]
        docs, chunks, tokens = docs + gdocs, chunks + gchunks, tokens + gtok
    return docs, chunks, vectors, tokens, (sections, np.concatenate(section_of),
                                           np.vstack(section_vectors).astype(np.float32), section_tokens)


# --- building one size (a child process) --------------------------------------------------------

def build(base_path: Path, size: int, out: Path, kind: str | None = None) -> dict:
    """Write the index for `size` clauses to `out`; the seconds of each step and what it chose."""
    import faiss
    import sqlite_utils

    from .. import dense_index
    from ..diacritics import AccentRestorer
    from ..index import FORMAT, write_tables, write_words
    from ..lexical import LexicalIndex
    from ..pairs import write_pairs
    from ..progress import working

    t0 = time.perf_counter()
    base: Base = pickle.loads(Path(base_path).read_bytes())
    docs, chunks, vectors, tokens, (sections, section_of, section_vectors, section_tokens) = \
        assemble(base, size)
    secs = {"generate": time.perf_counter() - t0}
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    t = time.perf_counter()
    with working(f"writing {len(chunks):,} clauses and {len(docs):,} documents to SQLite"):
        write_tables(out / "index.db", docs, chunks, sections, section_of)
    secs["sqlite"] = time.perf_counter() - t
    t = time.perf_counter()
    dense, info = dense_index.make(vectors, kind, progress=True)
    faiss.write_index(dense, str(out / "dense.faiss"))
    secs["faiss"] = time.perf_counter() - t
    del dense
    t = time.perf_counter()
    with working(f"BM25 over {len(tokens):,} clauses"):
        LexicalIndex.from_tokens(tokens).save(out / "lexical")
    secs["bm25"] = time.perf_counter() - t
    write_words(out, [c.text for c in chunks])
    del tokens
    t = time.perf_counter()
    store, section_info = dense_index.make(section_vectors, progress=True)
    faiss.write_index(store, str(out / "sections.faiss"))
    del store
    with working(f"BM25 over {len(sections):,} sections"):
        LexicalIndex.from_tokens(section_tokens).save(out / "section_lexical")
    secs["sections"] = time.perf_counter() - t
    del section_tokens
    AccentRestorer(base.accents).save(out / "accents.json")
    shipped = Path(base.shipped)  # the FAQ, unchanged: its clauses keep their positions
    shutil.copy(shipped / "faq.faiss", out / "faq.faiss")
    shutil.copytree(shipped / "faq_lexical", out / "faq_lexical")
    rows = list(sqlite_utils.Database(shipped / "index.db").query("select * from faq"))
    db = sqlite_utils.Database(out / "index.db")
    db["faq"].insert_all(rows)
    db.close()
    t = time.perf_counter()
    with working(f"word pairs of {len(chunks):,} clauses"):
        write_pairs(out, (c.text for c in chunks), (r["question"] for r in rows))
    secs["pairs"] = time.perf_counter() - t
    manifest = json.loads((shipped / "manifest.json").read_text())
    manifest.update(format=FORMAT, corpus=f"rulebot bench --scale ({size:,} clauses)", corpus_checksum="",
                    documents=len(docs), chunks=len(chunks), sections=len(sections), dense_index=info,
                    section_index=section_info)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    secs["total"] = time.perf_counter() - t0
    return {"size": len(chunks), "documents": len(docs), "sections": len(sections), "dense_index": info,
            "section_index": section_info,
            "seconds": {k: round(v, 2) for k, v in secs.items()}, "bytes": _disk(out), "rss_mb": peak_rss_mb()}


def memory(index, before_mb: float, serving_mb: float) -> dict:
    """Where a serving process's memory goes: the interpreter and libraries (before the index),
    the vectors FAISS holds, BM25's postings, and the rest of what loading and the questions
    added (clauses, documents and their texts as Python objects, caches)."""
    vectors = index.dense.ntotal * index.dense.d * 4 / 2**20
    post = index.lexical.bm25.scores
    bm25 = sum(post[k].nbytes for k in ("data", "indices", "indptr")) / 2**20
    return {"libraries": before_mb, "vectors": vectors, "bm25": bm25,
            "clauses_and_rest": max(0.0, serving_mb - before_mb - vectors - bm25), "serving": serving_mb}


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the running program only; getrusage
    would also count the parent's memory at the fork (Linux carries it across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _disk(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


# --- serving one size (a child process) ---------------------------------------------------------

class LookedUp:
    """Stands in for the embedder: what the model reads for each question (Retriever.model_texts)
    was embedded once by the model, in the batch the engine sends."""

    def __init__(self, vectors: dict[str, np.ndarray]):
        self.vectors = vectors

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts])


def serve(index_dir: Path, queries: Path, repeat: int, render: str | None) -> dict:
    """Load, answer the first question (printed: the parent times the cold start up to it), then
    time the rest. Prints and returns the figures."""
    t0 = time.perf_counter()
    import faiss

    from ..engine import Engine
    from ..fusion import Ranking
    from ..glossary import Glossary
    from ..index import load
    from ..search import Retriever

    faiss.omp_set_num_threads(SEARCH_THREADS)
    show = _render(render)
    t_import = time.perf_counter()
    rss_start = current_rss_mb()
    index = load(index_dir)
    t_load = time.perf_counter()
    data = np.load(queries, allow_pickle=False)
    qs, vecs = [str(q) for q in data["questions"]], data["vectors"]
    embedder = LookedUp({})
    glossary = Glossary.load(settings.DEFAULT_GLOSSARY)
    engine = Engine(index, Retriever(index, embedder, glossary=glossary))
    t_init = time.perf_counter()
    # This index restores accents from its own words, so the texts may differ from the shipped
    # engine's: each question's texts here get the vectors the model gave its texts there.
    ends = np.cumsum(data["batch_sizes"])
    for q, got in zip(qs, np.split(data["text_vectors"], ends[:-1])):
        for i, text in enumerate(engine.retriever.model_texts(engine.retriever.prepare(q))):
            embedder.vectors[text] = got[min(i, len(got) - 1)]
    print(show(engine.answer(qs[0]))[:60].replace("\n", " "), flush=True)
    t_first = time.perf_counter()

    for q in qs[:10]:  # warm-up, as in `rulebot bench`
        show(engine.answer(q))
    full, lexical = [], []
    for q in [q for _ in range(repeat) for q in qs]:
        t = time.perf_counter()
        show(engine.answer(q))
        full.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        engine.search(q, k=5, mode="lexical")
        lexical.append((time.perf_counter() - t) * 1000)
    with_sections = Retriever(index, embedder, Ranking(section_weight=SECTION_WEIGHT), glossary=glossary)
    sections = []
    for q in qs:
        t = time.perf_counter()
        with_sections.search(q, k=8)
        sections.append((time.perf_counter() - t) * 1000)
    out = {"import_s": t_import - t0, "load_s": t_load - t_import, "init_s": t_init - t_load,
           "first_answer_s": t_first - t_init, "answer_ms": _pcts(full), "lexical_ms": _pcts(lexical),
           "sections_ms": _pcts(sections), "rss_mb": peak_rss_mb(), "questions": len(full)}
    out["memory_mb"] = memory(index, rss_start, current_rss_mb())
    out["recall"] = dense_check(engine, qs, vecs)  # after the figures above: it searches exactly too
    print(json.dumps(out), flush=True)
    return out


def dense_check(engine, qs: list[str], vecs: np.ndarray) -> dict:
    """For an approximate (IVF, HNSW) index: the share of an exact search's top TOP and top 10 it finds
    among its NEAREST, and how often the whole search gives the same results as with an exact
    search over the same stored vectors (first hit, top 5, abstention, the answer's quotes)."""
    from .. import dense_index

    index = engine.index
    if (index.manifest.get("dense_index") or {}).get("kind", "flat") == "flat":
        return {"recall": 1.0, "recall10": 1.0, "min_recall": 1.0}
    exact = dense_index.exact_twin(index.dense)
    _, truth = exact.search(vecs, TOP)
    _, got = index.dense.search(vecs, NEAREST)
    r50 = [len(set(g[:TOP]) & set(t)) / TOP for g, t in zip(got, truth)]
    r10 = [len(set(g[:10]) & set(t[:10])) / 10 for g, t in zip(got, truth)]

    def run():
        results = [engine.search(q, k=5) for q in qs]
        answers = [engine.answer(q) for q in qs]
        return ([[h.chunk.id for h in r.hits] for r in results], [r.abstained for r in results],
                [[c.chunk_id for c in ([a.main] if a.main else []) + list(a.more)] for a in answers])

    approx_hits, approx_abstained, approx_quotes = run()
    served, index.dense = index.dense, exact
    try:
        exact_hits, exact_abstained, exact_quotes = run()
    finally:
        index.dense = served
    return {"recall": float(np.mean(r50)), "recall10": float(np.mean(r10)), "min_recall": float(np.min(r50)),
            "same_first": float(np.mean([a[:1] == e[:1] for a, e in zip(approx_hits, exact_hits)])),
            "same_top5": float(np.mean([a == e for a, e in zip(approx_hits, exact_hits)])),
            "same_abstention": float(np.mean([a == e for a, e in zip(approx_abstained, exact_abstained)])),
            "same_answer": float(np.mean([a == e for a, e in zip(approx_quotes, exact_quotes)]))}


def _render(spec: str | None):
    if not spec:
        return lambda answer: answer.status
    import importlib

    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


def _pcts(ms: list[float]) -> dict:
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)), "n": len(ms)}


# --- the dense index choice: recall against an exact search, and latency ------------------------

DENSE_CHOICES = (("flat", {}), ("hnsw", {"ef_search": 256}), ("hnsw", {"ef_search": 512}),
                 ("hnsw", {"ef_search": 1024}), ("ivf", {"nprobe": 32}), ("ivf", {"nprobe": 128}),
                 ("ivf", {"nprobe": 512}))


def compare_dense(index_dir: Path, queries: np.ndarray, served_build_s: float, log=print) -> list[dict]:
    """For each choice on the vectors of the index at `index_dir`: build seconds, recall of the
    exact top TOP (and top 10) among its NEAREST, and the search latency for one question. The
    index as served is reused (its build time from the build), the others are built here."""
    import faiss

    from .. import dense_index

    info = _manifest(index_dir).get("dense_index") or {"kind": "flat"}
    served = dense_index.ready(faiss.read_index(str(Path(index_dir) / "dense.faiss")), info)
    served_kind = info["kind"]
    exact = dense_index.exact_twin(served)
    _, truth = exact.search(queries, TOP)
    threads = faiss.omp_get_max_threads()  # builds use every core; a question's search one
    rows, built = [], {"flat": exact, served_kind: served}
    for kind, params in DENSE_CHOICES:
        build_s = None
        if kind == served_kind and kind != "flat" and not any(r["kind"] == kind for r in rows):
            build_s = served_build_s
        elif kind not in built:
            t = time.perf_counter()
            vectors = exact.reconstruct_n(0, exact.ntotal)
            built[kind] = dense_index.make(vectors, kind)[0]
            del vectors
            build_s = time.perf_counter() - t
        index = built[kind]
        if kind == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = params["ef_search"]
        if kind == "ivf":
            faiss.downcast_index(index).nprobe = params["nprobe"]
        faiss.omp_set_num_threads(SEARCH_THREADS)
        ms, recall, recall10 = [], [], []
        for q, true in zip(queries, truth):
            t = time.perf_counter()
            _, ids = index.search(q[None, :], NEAREST)
            ms.append((time.perf_counter() - t) * 1000)
            recall.append(len(set(ids[0][:TOP]) & set(true)) / TOP)
            recall10.append(len(set(ids[0][:10]) & set(true[:10])) / 10)
        faiss.omp_set_num_threads(threads)
        rows.append({"kind": kind, **params, "build_s": build_s, "recall": float(np.mean(recall)),
                     "recall10": float(np.mean(recall10)), "min_recall": float(np.min(recall)), "ms": _pcts(ms)})
        log(f"  {kind} {params}: recall@{TOP} {rows[-1]['recall']:.3f}, p50 {rows[-1]['ms']['p50']:.2f} ms")
    return rows


# --- the whole curve, as `rulebot bench --scale` runs it ----------------------------------------

def question_vectors(shipped: Path, model: str, gold: Path, out: Path) -> dict:
    """What the model gives for each gold question as the shipped engine asks it (the texts of
    Retriever.model_texts, in one batch), each question's restored-text vector for the dense
    index's recall check, and what one question's model run costs."""
    from ..engine import Engine
    from . import bench

    qs = bench.questions(gold)
    engine = Engine.load(shipped, model)
    retriever = engine.retriever
    batches = [retriever.model_texts(retriever.prepare(q)) for q in qs]
    retriever.embedder.queries(batches[0])  # warm-up
    text_vecs, vecs, ms = [], [], []
    for batch in batches:
        t = time.perf_counter()
        got = retriever.embedder.queries(batch)
        ms.append((time.perf_counter() - t) * 1000)
        text_vecs += list(got)
        vecs.append(got[0])
    np.savez(out, questions=np.array(qs), vectors=np.stack(vecs).astype(np.float32),
             batch_sizes=np.array([len(b) for b in batches]), text_vectors=np.stack(text_vecs).astype(np.float32))
    return _pcts(ms)


def _child(args: list[str], log) -> tuple[str, dict, float]:
    """Run `python -m retrieval.evaluation.scale …`; (first line, last JSON line, seconds to the
    first line)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "retrieval.evaluation.scale", *args],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(settings.REPO)})
    first = proc.stdout.readline()
    first_s = time.perf_counter() - t0
    rest = proc.stdout.read()
    if proc.wait() != 0:
        raise RuntimeError(f"the benchmark's child process failed: {' '.join(args[:1])} (exit {proc.returncode})")
    lines = [x for x in (first + rest).splitlines() if x.startswith("{")]
    return first.strip(), json.loads(lines[-1]) if lines else {}, first_s


def benchmark(sizes=SIZES, work: Path = WORK, shipped: Path | None = None, model: str | None = None,
              gold: Path | None = None, vicov_data: Path | None = None, repeat: int = 3,
              render: str | None = None, compare_at: tuple[int, ...] = (100_000, 1_000_000),
              out: Path = settings.REPO / "reports" / "scale.md", log=print, keep_earlier: bool = False) -> dict:
    """Build, load and time each size; compare the dense index choices at `compare_at`; write the
    report and its plot. Returns every figure. With `keep_earlier`, the sizes this run does not
    measure are carried over from the report's JSON, marked as such (a 1M run takes a while)."""
    from ..index import load
    from . import bench, vicov19qa

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    shipped = settings.index_dir(str(shipped) if shipped else None)
    model = settings.model_setting(model)
    gold = Path(gold) if gold else bench.DEFAULT_GOLD
    vicov_dir = vicov19qa.WORK / "index"
    vicov_ok = _has_index(vicov_dir, load(shipped).manifest.get("model"))
    if not vicov_ok and vicov_data is not None and Path(vicov_data).is_dir():
        from ..embedding import load_embedder

        log("No ViCoV19QA index yet: building it with the model (once; `rulebot vicov19qa --reuse-index` keeps it) …")
        pairs = [p for s in ("train", "val") for p in vicov19qa.read_pairs(Path(vicov_data) / vicov19qa.FILES[s], s)]
        docs, _ = vicov19qa.passages(pairs)
        vicov19qa.ensure_index(docs, vicov19qa.WORK, load_embedder(model, purpose="index"), True, log)
        vicov_ok = True
    log("Question vectors: the gold questions through the model, once …")
    qfile = work / "questions.npz"
    embed_ms = question_vectors(shipped, model, gold, qfile)

    base_path, stamp_path = work / "base.pkl", work / "base.stamp"
    stamp = json.dumps([_manifest(shipped), _manifest(vicov_dir) if vicov_ok else None])
    if not base_path.exists() or not stamp_path.exists() or stamp_path.read_text(encoding="utf-8") != stamp:
        prepare_base(shipped, vicov_dir if vicov_ok else None, base_path, log)
        stamp_path.write_text(stamp, encoding="utf-8")  # the real clauses are read again only if an index changed
    base: Base = pickle.loads(base_path.read_bytes())

    results = {"embed_ms": embed_ms, "real": base.note, "sizes": [], "compare": {}, "machine": _machine(),
               "date": date.today().isoformat(), "backend": _manifest(shipped).get("backend", "torch")}
    for size in sizes:
        target = work / f"index-{size}"
        log(f"\n{size:,} clauses: building {target} …")
        _, built, _ = _child(["build", "--base", str(base_path), "--size", str(size), "--out", str(target)], log)
        log(f"  built in {built['seconds']['total']:.1f} s ({built['dense_index']['kind']}), "
            f"{built['bytes'] / 2**20:.0f} MB on disk, peak RSS {built['rss_mb']:.0f} MB")
        log("  serving: cold start, then the timed questions …")
        args = ["serve", "--index", str(target), "--queries", str(qfile), "--repeat", str(repeat)]
        if render:
            args += ["--render", render]
        first, served, cold_s = _child(args, log)
        served["cold_start_s"] = cold_s
        log(f"  answer path p50 {served['answer_ms']['p50']:.1f} ms, p95 {served['answer_ms']['p95']:.1f} ms; "
            f"cold start {cold_s:.1f} s; serving RSS {served['rss_mb']:.0f} MB")
        results["sizes"].append({"size": size, "build": built, "serve": served})
        if size in compare_at:
            log(f"  comparing dense index kinds at {size:,} clauses …")
            results["compare"][size] = compare_dense(target, np.load(qfile)["vectors"],
                                                     built["seconds"]["faiss"], log)
    if keep_earlier:
        carry_earlier(results, Path(out).with_suffix(".json"))
    md, png = write_report(results, Path(out))
    results["report"], results["plot"] = str(md), str(png)
    return results


def size_of(key) -> int:
    """The corpus size of a `compare` entry ("1000000", or "1000000 (earlier)" when carried over)."""
    return int(str(key).split()[0])


def carry_earlier(results: dict, previous: Path) -> None:
    """Add the sizes (and dense index comparisons) of the previous report that this run did not
    measure, each marked with where it comes from; sizes stay in ascending order."""
    try:
        old = json.loads(previous.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    measured = {r["size"] for r in results["sizes"]}
    when = f"the run of {old['date']}" if old.get("date") else "an earlier run"
    for r in old.get("sizes", []):
        if r["size"] not in measured:
            results["sizes"].append({**r, "earlier": r.get("earlier") or f"carried over from {when}, not re-measured"})
    results["sizes"].sort(key=lambda r: r["size"])
    for key, rows in old.get("compare", {}).items():
        size = int(str(key).split()[0])  # "1000000", or "1000000 (earlier)" once carried over
        if size not in measured and not any(str(k).split()[0] == str(size) for k in results["compare"]):
            results["compare"][f"{size} (earlier)"] = rows


def _has_index(path: Path, model: str | None) -> bool:
    try:
        return json.loads((path / "manifest.json").read_text()).get("model") == model
    except (OSError, ValueError):
        return False


def _manifest(path: Path) -> dict:
    return json.loads((Path(path) / "manifest.json").read_text())


def _machine() -> str:
    load1 = os.getloadavg()[0]
    return f"{os.cpu_count()} CPU cores, load average {load1:.1f} at the end"


# --- the report ---------------------------------------------------------------------------------

def choice_line(results: dict) -> str:
    """The dense index choice, in words, from this run's figures."""
    from .. import dense_index

    text = (f"**The dense index** is exact (flat) up to {dense_index.FLAT_UP_TO:,} clauses and IVF above "
            "(`retrieval/dense_index.py`, recorded in the manifest): an exact search reads every vector, IVF "
            f"reads {dense_index.IVF_NPROBE} of its 4·√n lists, HNSW walks a graph.")
    if results["compare"]:
        key = max(results["compare"], key=size_of)
        rows, size = results["compare"][key], size_of(key)
        ivf = next((r for r in rows if r["kind"] == "ivf" and r.get("nprobe") == dense_index.IVF_NPROBE), None)
        hnsw = next((r for r in rows if r["kind"] == "hnsw" and r.get("ef_search") == dense_index.HNSW_EF_SEARCH), None)
        flat = next((r for r in rows if r["kind"] == "flat"), None)
        builds = {r["kind"]: r["build_s"] for r in rows if r["build_s"]}
        if ivf and hnsw and flat:
            text += (f" At {size:,} clauses{' (an earlier run)' if key != size else ''} an exact search took {flat['ms']['p50']:.0f} ms; IVF found "
                     f"{ivf['recall10']:.0%} of its top 10 and {ivf['recall']:.0%} of its top {TOP} in "
                     f"{ivf['ms']['p50']:.1f} ms (p50), HNSW (efSearch {dense_index.HNSW_EF_SEARCH}) "
                     f"{hnsw['recall10']:.0%} and {hnsw['recall']:.0%} in {hnsw['ms']['p50']:.1f} ms; building took "
                     f"{builds.get('ivf', 0):.0f} s and {builds.get('hnsw', 0):.0f} s, and IVF needs no graph.")
    same = [r["serve"]["recall"]["same_first"] for r in results["sizes"] if "same_first" in r["serve"]["recall"]]
    if same:
        text += (" What an approximate search misses are near-ties (e5's cosines are compressed): with the "
                 f"fused ranking, the first hit was that of an exact search for {min(same):.0%} of the questions "
                 "(the lowest share over the sizes).")
    return text + (" FAISS searches one question on one thread here (`faiss.omp_set_num_threads(1)`): with two "
                   "OpenMP threads on this busy machine a flat search over 60k vectors took 96 ms instead of 30 "
                   "(p50); serving processes should do the same.")


def memory_line(results: dict) -> str:
    r = max(results["sizes"], key=lambda x: x["build"]["size"])
    m = r["serve"].get("memory_mb")
    if not m:
        return ""
    return (f"**Memory at {r['build']['size']:,} clauses**{' (the earlier run)' if r.get('earlier') else ''} "
            f"(serving, model excluded): {m['serving']:,.0f} MB "
            f"after loading and answering: {m['libraries']:,.0f} MB the interpreter and libraries, "
            f"{m['vectors']:,.0f} MB the vectors (float32), {m['bm25']:,.0f} MB BM25's postings, "
            f"{m['clauses_and_rest']:,.0f} MB the clauses and documents as Python objects and the rest. "
            "Not done, and what it would save: clause texts read from the documents or from SQLite on demand "
            "instead of held twice, and 8-bit vectors in the IVF with exact cosines from a memory-mapped file.")


def _kind(d: dict) -> str:
    return d["kind"] + (f" (M {d['m']}, ef {d['ef_search']})" if d["kind"] == "hnsw" else
                        f" ({d['nlist']:,} lists, {d['nprobe']} read)" if d["kind"] == "ivf" else "")


def table(results: dict) -> str:
    head = (f"| clauses | dense index | recall@{TOP} | answer p50 ms | answer p95 ms | lexical-only p50 / p95 ms "
            "| sections on p50 / p95 ms | sections (index) | cold start s | serving RSS MB | index on disk MB "
            "| build s | build peak RSS MB |")
    lines = [head, "|--:|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|"]
    for r in results["sizes"]:
        b, s = r["build"], r["serve"]
        on = f"{s['sections_ms']['p50']:.1f} / {s['sections_ms']['p95']:.1f}" if "sections_ms" in s else "–"
        sec = f"{b['sections']:,} {b['section_index']['kind']}" if "section_index" in b else "–"
        mark = " *" if r.get("earlier") else ""
        lines.append(f"| {b['size']:,}{mark} | {_kind(b['dense_index'])} | {s['recall']['recall']:.3f} | "
                     f"{s['answer_ms']['p50']:.1f} | {s['answer_ms']['p95']:.1f} | "
                     f"{s['lexical_ms']['p50']:.1f} / {s['lexical_ms']['p95']:.1f} | {on} | {sec} | {s['cold_start_s']:.1f} | "
                     f"{s['rss_mb']:.0f} | {b['bytes'] / 2**20:.0f} | {b['seconds']['total']:.0f} | {b['rss_mb']:.0f} |")
    earlier = [r for r in results["sizes"] if r.get("earlier")]
    if earlier:
        lines.append("")
        lines.append("\\* " + "; ".join(f"{r['build']['size']:,} clauses: {r['earlier']}" for r in earlier))
    return "\n".join(lines)


def agreement_table(results: dict) -> str:
    """For each size served by an approximate index: what it finds of an exact search, and how often the answers
    are the same as with an exact search over the same vectors."""
    lines = [f"| clauses | recall@10 | recall@{TOP} (worst) | same first hit | same top 5 | same abstention "
             "| same quotes in the answer |", "|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results["sizes"]:
        a = r["serve"]["recall"]
        if "same_first" in a:
            lines.append(f"| {r['build']['size']:,} | {a['recall10']:.3f} | {a['recall']:.3f} ({a['min_recall']:.2f}) | "
                         f"{a['same_first']:.2f} | {a['same_top5']:.2f} | {a['same_abstention']:.2f} | "
                         f"{a['same_answer']:.2f} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def compare_table(rows: list[dict]) -> str:
    lines = [f"| index | setting | build s | recall@10 | recall@{TOP} (mean / worst) | search p50 / p95 ms |",
             "|---|---|--:|--:|--:|--:|"]
    for r in rows:
        setting = ", ".join(f"{k} {r[k]}" for k in ("ef_search", "nprobe") if k in r) or "exact"
        build = f"{r['build_s']:.1f}" if r["build_s"] is not None else "(same)" if r["kind"] != "flat" else "0"
        lines.append(f"| {r['kind']} | {setting} | {build} | {r['recall10']:.3f} | {r['recall']:.3f} / {r['min_recall']:.2f} | "
                     f"{r['ms']['p50']:.2f} / {r['ms']['p95']:.2f} |")
    return "\n".join(lines)


def plot(results: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["build"]["size"] for r in results["sizes"]]
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    ax[0].plot(n, [r["serve"]["answer_ms"]["p50"] for r in results["sizes"]], "o-", label="answer p50")
    ax[0].plot(n, [r["serve"]["answer_ms"]["p95"] for r in results["sizes"]], "o-", label="answer p95")
    ax[0].plot(n, [r["serve"]["lexical_ms"]["p95"] for r in results["sizes"]], "o--", label="lexical-only p95")
    ax[0].axhline(60, color="grey", lw=0.8, ls=":", label="60 ms")
    ax[0].set_ylabel("ms per question (model excluded)")
    ax[1].plot(n, [r["serve"]["cold_start_s"] for r in results["sizes"]], "o-", label="cold start (s)")
    ax[1].plot(n, [r["build"]["seconds"]["total"] / 60 for r in results["sizes"]], "o-", label="build (min)")
    ax[2].plot(n, [r["serve"]["rss_mb"] for r in results["sizes"]], "o-", label="serving RSS")
    ax[2].plot(n, [r["build"]["bytes"] / 2**20 for r in results["sizes"]], "o-", label="index on disk")
    ax[2].set_ylabel("MB")
    for a in ax:
        a.set_xscale("log")
        a.set_xlabel("clauses")
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle("rulebot: cost by corpus size (2 shared CPU cores)")
    earlier = [f"{r['build']['size']:,}" for r in results["sizes"] if r.get("earlier")]
    fig.tight_layout()
    if earlier:  # figures of another run on the same curve: say so on the picture too
        fig.subplots_adjust(bottom=0.2)
        fig.text(0.5, 0.01, f"{', '.join(earlier)} clauses: carried over from an earlier run, not re-measured",
                 ha="center", fontsize=8, style="italic")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def write_report(results: dict, out: Path) -> tuple[Path, Path]:
    png = plot(results, out.with_suffix(".png"))
    e = results["embed_ms"]
    parts = [
        "# Cost by corpus size", "",
        f"Generated {results.get('date', date.today().isoformat())} by `rulebot bench --scale` on {results['machine']}.", "",
        "Real clauses: " + results["real"] + "; the rest of each size is generated (halves of two real "
        f"clauses, {SWAP:.0%} of the words swapped; vectors: the parents' mixed, plus noise). Each size is a "
        "real index directory, loaded by `index.load` in a new process.", "",
        "**Answer path** = `Engine.answer` + render for 100 gold questions × 3 passes, the question's vector "
        "looked up (computed once by the model beforehand): the model's cost does not depend on the corpus "
        f"and is {e['p50']:.0f} ms p50 / {e['p95']:.0f} ms p95 per question here ({results.get('backend', 'torch')} "
        "backend, measured in the same run). **Sections on** = the hybrid search with the sections' weight "
        f"at {SECTION_WEIGHT} (off for the Hanoi texts, on for Q&A answers), 100 questions × 1 pass. **Cold start** = a new process until its first answer is printed, without loading "
        "the model. **Serving RSS** = that process's peak, without the model. **Build** = writing the index "
        "from clauses already embedded (generation included); embedding a million clauses with the model "
        "would take hours and is not part of it.", "",
        table(results), "", f"![cost curve]({png.name})", "",
        choice_line(results), "",
        memory_line(results), "",
        *[x for note in results.get("notes", []) for x in (note, "")],  # what the person who ran it saw
    ]
    agreement = agreement_table(results)
    if agreement:
        parts += ["## The approximate index against an exact search over the same vectors", "",
                  "The 100 gold questions on each index served by an approximate index, searched again with an "
                  "exact (flat) search over the vectors it stores:", "", agreement, ""]
    for size, rows in results["compare"].items():
        earlier = str(size).endswith("(earlier)")
        n = size_of(size)
        parts += [f"## The dense index at {n:,} clauses" + (" (carried over from an earlier run)" if earlier else ""), "",
                  f"Recall: the share of an exact search's top {TOP} (what fusion takes from the dense side) "
                  f"found among the index's {NEAREST} nearest, over the 100 gold questions.", "",
                  compare_table(rows), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    (out.with_suffix(".json")).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return out, png


def main(argv: list[str] | None = None) -> int:
    """The child processes: `build` one size, or `serve` one index."""
    ap = argparse.ArgumentParser(prog="python -m retrieval.evaluation.scale")
    sub = ap.add_subparsers(dest="step", required=True)
    b = sub.add_parser("build")
    b.add_argument("--base", required=True)
    b.add_argument("--size", type=int, required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--kind", choices=("flat", "hnsw", "ivf"))
    s = sub.add_parser("serve")
    s.add_argument("--index", required=True)
    s.add_argument("--queries", required=True)
    s.add_argument("--repeat", type=int, default=3)
    s.add_argument("--render")
    args = ap.parse_args(argv)
    if args.step == "build":
        print(json.dumps(build(Path(args.base), args.size, Path(args.out), args.kind)), flush=True)
    else:
        serve(Path(args.index), Path(args.queries), args.repeat, args.render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
