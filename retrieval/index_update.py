"""Update an index for added or removed documents without a rebuild, and publish it atomically.

An index directory is a *generation*; `var/index` is a symbolic link to the current one:

    var/index -> index.generations/g000007
    var/index.generations/g000006/  g000007/  ...

An update writes a complete new generation beside the current one (only the new documents'
clauses are embedded and tokenised; every other vector is copied as it is), then swaps the link
in one atomic rename. A reader sees the old generation or the new one, never a mixture, and a
crash mid-update leaves the old one current (the half-written directory is removed next time).
Retiring a document changes no file here at all: validity lives in the document store.

To make an update cost what the new document costs, a generation keeps two caches in index.db:
each clause's BM25 tokens (`chunk_tokens`), and the accent n-grams counted per document with the
order they were first seen (`accent_counts`), so the accent restorer picks exactly the forms a
full rebuild would (ties go to the form seen first, as in AccentRestorer.build).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import bm25s
import faiss
import numpy as np

from .chunking import chunk_document
from .corpus import Document, checksum
from .diacritics import AccentRestorer, grams
from .embedding import TextEmbedder
from .faq import Entry
from .generations import _fsync_dir, current, publish  # noqa: F401 (publish: part of the update API)
from . import dense_index
from .index import IndexNotUsable, passage_text, write_words
from .lexical import LexicalIndex, document_tokens
from .pairs import write_pairs
from .progress import Progress, in_slices, track
from .text import nfc, words
from .types import Chunk, Source

@dataclass
class Update:
    """A staged generation: written in full, not yet current until publish()."""

    path: Path
    added: tuple[str, ...]
    removed: tuple[str, ...]
    embedded: int  # clauses embedded for this update
    manifest: dict
    seconds: dict[str, float] = field(default_factory=dict)


# --- staging an update --------------------------------------------------------------------

def stage(index: Path, docs: Sequence[Document], embedder: TextEmbedder, faq: Sequence[Entry] = (),
          corpus_name: str | None = None, progress: bool = False) -> Update:
    """Write, beside the current generation, the index a rebuild from `docs` would give: a
    document whose text and title are unchanged keeps its clauses and vectors; the others are
    chunked and embedded; documents no longer listed are dropped. Nothing becomes current."""
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}
    index = Path(index)
    old = current(index)
    rebuild = f"rulebot index --index {index}"
    try:
        manifest = json.loads((old / "manifest.json").read_text())
    except (OSError, ValueError):
        raise IndexNotUsable(f"No usable index at {index}. Build it with: {rebuild}") from None
    if manifest.get("model") != embedder.name:
        raise IndexNotUsable(f"The index at {index} was built with '{manifest.get('model')}', not "
                             f"'{embedder.name}'. Rebuild it with: {rebuild}")
    built_with = (manifest.get("backend", "torch"), manifest.get("backend_checksum"))
    if built_with != (embedder.backend, embedder.backend_checksum):  # vectors must not mix
        raise IndexNotUsable(f"The index at {index} was built with the {built_with[0]} backend, not "
                             f"{embedder.backend}. Rebuild it with: RULEBOT_BACKEND={embedder.backend} {rebuild}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{index.name}.updating-", dir=index.parent))
    try:
        shutil.copyfile(old / "index.db", tmp / "index.db")
        db = sqlite3.connect(tmp / "index.db")
        old_docs = _documents(db)
        if checksum(old_docs, faq) != manifest.get("corpus_checksum"):
            raise IndexNotUsable(f"The index at {index} does not match its documents or FAQ any more "
                                 f"(changed by hand?); an update cannot fix that. Rebuild it with: {rebuild}")
        seconds["read"] = time.perf_counter() - t0
        t = time.perf_counter()
        _ensure_caches(db, old_docs)
        seconds["caches"] = time.perf_counter() - t
        result = _apply(db, old, tmp, old_docs, list(docs), embedder, seconds, manifest.get("dense_index"), progress)
        db.commit()
        t = time.perf_counter()
        section_info = _carry_sections(db, old, tmp, list(docs), embedder, manifest.get("section_index"), result[4])
        db.commit()
        seconds["sections"] = time.perf_counter() - t
        db.close()
        t = time.perf_counter()
        check = sqlite3.connect(tmp / "index.db")
        try:
            has_faq = _has_table(check, "faq")
        finally:
            check.close()
        for name in ("faq.faiss", "faq_lexical"):  # the FAQ is unchanged: same files, no copy
            src = old / name
            if (tmp / name).exists() or not has_faq:  # rewritten, or gone with the documents
                continue
            if src.is_dir():
                shutil.copytree(src, tmp / name, copy_function=os.link)
            elif src.is_file():
                os.link(src, tmp / name)
        added, removed, n_embedded, n_chunks, dense_info = result
        manifest = {**manifest, "corpus": corpus_name or manifest.get("corpus", ""),
                    "corpus_checksum": checksum(list(docs), faq), "documents": len(docs), "chunks": n_chunks,
                    "dense_index": dense_info, "section_index": section_info,
                    "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "update": {"from": old.name, "added": list(added), "removed": list(removed),
                               "embedded_chunks": n_embedded}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        _fsync_tree(tmp)
        seconds["write"] = seconds.get("write", 0) + time.perf_counter() - t
        seconds["total"] = time.perf_counter() - t0
        manifest["update"]["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        return Update(tmp, tuple(added), tuple(removed), n_embedded, manifest, seconds)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def update(index: Path, docs: Sequence[Document], embedder: TextEmbedder, faq: Sequence[Entry] = ()) -> Update:
    """stage() then publish(): the index at `index` now holds exactly `docs`."""
    staged = stage(index, docs, embedder, faq)
    staged.path = publish(staged.path, index)
    return staged


def _apply(db: sqlite3.Connection, old: Path, tmp: Path, old_docs: list[Document], docs: list[Document],
           embedder: TextEmbedder, seconds: dict, dense_info: dict | None = None, progress: bool = False
           ) -> tuple[list[str], list[str], int, int, dict]:
    t = time.perf_counter()
    before = {d.source.id: d for d in old_docs}
    kept = {d.source.id for d in docs if d.source.id in before
            and before[d.source.id].text == d.text and before[d.source.id].source.title == d.source.title}
    removed = [sid for sid in before if sid not in kept]
    added = [d.source.id for d in docs if d.source.id not in kept]
    wanted = {d.source.id for d in docs}
    if len(wanted) != len(docs):
        raise ValueError("duplicate document ids")
    order = [d.source.id for d in docs]
    if [sid for sid in before if sid in kept] + added != order:
        # The accent counts date each form by document order; only appending keeps it.
        raise IndexNotUsable("The documents changed order or an old one changed its text; rebuild the "
                             "index with: rulebot index")

    rows = db.execute("select id, seq, source_id from chunks order by seq").fetchall()
    old_chunks: dict[str, list[tuple]] = defaultdict(list)
    for r in rows:
        old_chunks[r[2]].append(r)
    store = dense_index.ready(faiss.read_index(str(old / "dense.faiss")), dense_info)
    old_vectors = store.reconstruct_n(0, store.ntotal)

    by_id = {d.source.id: d.source for d in docs}
    chunks: list[str] = []  # chunk ids in the new order
    origin: list[int] = []  # per new position: the old seq, or -1 when embedded now
    fresh: list[Chunk] = []
    for d in docs:
        sid = d.source.id
        if sid in kept:
            for r in old_chunks[sid]:
                chunks.append(r[0])
                origin.append(r[1])
        else:
            for c in chunk_document(sid, d.text):
                chunks.append(c.id)
                origin.append(-1)
                fresh.append(c)
    seconds["plan"] = time.perf_counter() - t

    t = time.perf_counter()
    new_vectors = in_slices([passage_text(c, by_id[c.source_id]) for c in fresh], embedder.passages,
                            Progress(len(fresh), "new clauses embedded") if progress else None) if fresh else None
    seconds["embed"] = time.perf_counter() - t

    t = time.perf_counter()
    dim = old_vectors.shape[1]
    vectors = np.empty((len(chunks), dim), dtype=np.float32)
    origin_arr = np.array(origin, dtype=np.int64)
    old_rows = origin_arr >= 0
    vectors[old_rows] = old_vectors[origin_arr[old_rows]]
    if fresh:
        vectors[~old_rows] = new_vectors
    dense, dense_info = dense_index.make(vectors)  # the kind a full build of this size would choose
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    seconds["vectors"] = time.perf_counter() - t

    t = time.perf_counter()
    terms = TermCounts.load(old, db, [r[0] for r in rows])  # before the removed clauses' tokens go
    q = ",".join("?" * len(removed))
    if removed:
        db.execute(f"delete from chunks where source_id in ({q})", removed)
        db.execute("delete from chunk_tokens where chunk_id not in (select id from chunks)")
        db.execute(f"delete from documents where id in ({q})", removed)
    columns = {r[1] for r in db.execute("pragma table_info(documents)")}
    for d in docs:  # metadata as the store has it now (validity included), text for new ones
        if d.source.id in kept and before[d.source.id].source == d.source:
            continue
        row = {**d.source.to_dict(), "text": d.text}
        for k, v in list(row.items()):
            if isinstance(v, list):
                row[k] = json.dumps(v, ensure_ascii=False)
        for k in row:
            if k not in columns:
                db.execute(f'alter table documents add column "{k}" text')
                columns.add(k)
        if d.source.id in kept:
            row.pop("text")
            db.execute(f"update documents set {', '.join(f'[{k}] = ?' for k in row)} where id = ?",
                       [*row.values(), d.source.id])
        else:
            db.execute(f"insert into documents ({', '.join(f'[{k}]' for k in row)}) values "
                       f"({', '.join('?' * len(row))})", list(row.values()))
    new_seq = {cid: i for i, cid in enumerate(chunks)}
    moved = [(i, chunks[i]) for i, o in enumerate(origin) if o >= 0 and o != i]
    if moved:  # only when something before them went: shift positions, in two steps to keep seq unique
        db.executemany("update chunks set seq = -1 - ? where id = ?", moved)
        db.execute("update chunks set seq = -1 - seq where seq < 0")
    db.executemany("insert into chunks (id, seq, source_id, start, [end], text, location, heading) "
                   "values (?, ?, ?, ?, ?, ?, ?, ?)",
                   [(c.id, new_seq[c.id], c.source_id, c.start, c.end, c.text, c.location, c.heading)
                    for c in fresh])
    if _has_table(db, "faq"):
        old_id = {r[1]: r[0] for r in rows}
        links = db.execute("select rowid, chunk_seq from faq").fetchall()
        fix = [(new_seq[old_id[s]], rid) for rid, s in links if old_id.get(s) in new_seq and new_seq[old_id[s]] != s]
        gone = [(rid,) for rid, s in links if old_id.get(s) not in new_seq]
        db.executemany("update faq set chunk_seq = ? where rowid = ?", fix)
        db.executemany("delete from faq where rowid = ?", gone)
        if gone:
            _compact_faq(db, old, tmp)
    seconds["database"] = time.perf_counter() - t

    t = time.perf_counter()
    fresh_tokens = [document_tokens(c.text) for c in track(fresh, "new clauses segmented for BM25", show=progress)]
    db.executemany("insert or replace into chunk_tokens (chunk_id, tokens) values (?, ?)",
                   [(c.id, json.dumps(tk, ensure_ascii=False)) for c, tk in zip(fresh, fresh_tokens)])
    terms = terms.select(origin_arr[old_rows]).append(fresh_tokens)
    terms.save(tmp)
    LexicalIndex(terms.bm25()).save(tmp / "lexical")
    texts = [r[0] for r in db.execute("select text from chunks order by seq")]
    write_words(tmp, texts)
    faq_questions = [r[0] for r in db.execute("select question from faq")] if _has_table(db, "faq") else []
    write_pairs(tmp, texts, faq_questions)
    seconds["lexical"] = time.perf_counter() - t

    t = time.perf_counter()
    forms = AccentRestorer.load(old / "accents.json").forms
    touched: set[str] = set()
    later = [d for d in old_docs if d.source.id in kept]  # in order, for a form first seen in a removed one
    order = dict(db.execute("select source_id, ord from doc_order"))
    for sid in removed:
        touched |= _uncount(db, before[sid].text, order[sid], later, order)
        db.execute("delete from doc_order where source_id = ?", (sid,))
    for d in docs:
        if d.source.id not in kept:
            n = 1 + (db.execute("select max(ord) from doc_order").fetchone()[0] or 0)
            db.execute("insert into doc_order (source_id, ord) values (?, ?)", (d.source.id, n))
            touched |= _count(db, d.text, n)
    for folded in touched:
        best = db.execute("select form from accent_counts where folded = ? order by n desc, first_ord, "
                          "first_event limit 1", (folded,)).fetchone()
        if best:
            forms[folded] = best[0]
        else:
            forms.pop(folded, None)
    AccentRestorer(forms).save(tmp / "accents.json")
    seconds["accents"] = time.perf_counter() - t
    return added, removed, len(fresh), len(chunks), dense_info


# --- BM25 from cached term counts ---------------------------------------------------------

def _compact_faq(db: sqlite3.Connection, old: Path, tmp: Path) -> None:
    """Residents' questions whose every clause went with a removed document leave the FAQ's
    vectors and BM25 too; the rest are renumbered 0..n-1, as the loader reads them."""
    left = [r[0] for r in db.execute("select distinct question_row from faq order by question_row")]
    if not left:  # no question left: no FAQ side at all, as a build without one
        db.execute("drop table faq")
        return
    store = faiss.read_index(str(old / "faq.faiss"))
    if left == list(range(store.ntotal)):
        return
    db.executemany("update faq set question_row = ? where question_row = ?",
                   [(-1 - i, q) for i, q in enumerate(left)])
    db.execute("update faq set question_row = -1 - question_row where question_row < 0")
    vectors = store.reconstruct_n(0, store.ntotal)[left]
    kept = faiss.IndexFlatIP(store.d)
    kept.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(kept, str(tmp / "faq.faiss"))
    questions = dict(db.execute("select question_row, question from faq"))
    LexicalIndex.build([questions[i] for i in range(len(left))]).save(tmp / "faq_lexical")


class TermCounts:
    """Each clause's term counts (a sparse matrix, one row per clause in index order) over a
    vocabulary that only grows, kept beside the index (lexical_tf.npz, lexical_vocab.json).
    BM25's statistics (document frequencies, average length) are global, so an update recomputes
    the score matrix, but from these counts in a few vectorised steps, the same sums bm25s makes
    clause by clause (bm25s' defaults: Lucene variant, k1 = 1.5, b = 0.75)."""

    def __init__(self, matrix, vocab: dict[str, int]):
        self.matrix = matrix.tocsr()
        self.vocab = vocab

    @classmethod
    def load(cls, old: Path, db: sqlite3.Connection, chunk_ids: list[str]) -> "TermCounts":
        from scipy import sparse

        if (old / "lexical_tf.npz").is_file():
            vocab = json.loads((old / "lexical_vocab.json").read_text(encoding="utf-8"))
            return cls(sparse.load_npz(old / "lexical_tf.npz"), vocab)
        tokens = dict(db.execute("select chunk_id, tokens from chunk_tokens"))
        empty = cls(sparse.csr_matrix((0, 1), dtype=np.int32), {"": 0})
        return empty.append([json.loads(tokens[c]) for c in chunk_ids])

    def select(self, rows: np.ndarray) -> "TermCounts":
        return TermCounts(self.matrix[rows], self.vocab)

    def append(self, docs: list[list[str]]) -> "TermCounts":
        from collections import Counter

        from scipy import sparse

        vocab = dict(self.vocab)
        data, cols, indptr = [], [], [0]
        for tokens in docs:
            for tok, n in Counter(tokens).items():
                cols.append(vocab.setdefault(tok, len(vocab)))
                data.append(n)
            indptr.append(len(cols))
        width = len(vocab)
        new = sparse.csr_matrix((np.array(data, dtype=np.int32), np.array(cols, dtype=np.int32),
                                 np.array(indptr, dtype=np.int64)), shape=(len(docs), width))
        old = self.matrix.copy()
        old.resize((old.shape[0], width))
        return TermCounts(sparse.vstack([old, new], format="csr"), vocab)

    def save(self, path: Path) -> None:
        from scipy import sparse

        sparse.save_npz(path / "lexical_tf.npz", self.matrix, compressed=False)
        (path / "lexical_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    def bm25(self, k1: float = 1.5, b: float = 0.75) -> bm25s.BM25:
        from scipy import sparse

        m = self.matrix
        n_docs, width = m.shape
        lengths = np.asarray(m.sum(axis=1)).ravel().astype(np.float64)
        avg = lengths.mean() if n_docs else 0.0
        df = np.bincount(m.indices, minlength=width)
        idf = np.zeros(width, dtype=np.float32)
        seen = df > 0
        idf[seen] = np.log(1 + (n_docs - df[seen] + 0.5) / (df[seen] + 0.5))
        rows = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(m.indptr))
        tf = m.data.astype(np.float32)
        tfc = tf / (k1 * ((1 - b) + b * lengths[rows] / avg) + tf)
        scores = (idf[m.indices] * tfc).astype(np.float32)
        csc = sparse.csc_matrix((scores, (rows, m.indices)), shape=(n_docs, width), dtype=np.float32)
        out = bm25s.BM25(k1=k1, b=b)
        out.scores = {"data": csc.data, "indices": csc.indices.astype(np.int32),
                      "indptr": csc.indptr.astype(np.int32), "num_docs": n_docs}
        out.vocab_dict = dict(self.vocab)
        out.unique_token_ids_set = set(self.vocab.values())
        out.nonoccurrence_array = None
        return out


# --- caches -------------------------------------------------------------------------------

def _documents(db: sqlite3.Connection) -> list[Document]:
    """The documents an index holds, in its corpus order."""
    db.row_factory = sqlite3.Row
    order = "rowid"
    if _has_table(db, "doc_order"):
        order = "(select ord from doc_order where doc_order.source_id = documents.id)"
    out = []
    for r in db.execute(f"select * from documents order by {order}"):
        row = dict(r)
        text = row.pop("text")
        out.append(Document(Source.from_dict(row), text))
    db.row_factory = None
    return out


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("select 1 from sqlite_master where type = 'table' and name = ?", (name,)).fetchone() is not None


def _ensure_caches(db: sqlite3.Connection, docs: list[Document]) -> None:
    """An index built in full has no caches yet: work them out once, from its own texts."""
    if not _has_table(db, "doc_order"):
        db.execute("create table doc_order (source_id text primary key, ord integer not null)")
        db.executemany("insert into doc_order values (?, ?)", [(d.source.id, i) for i, d in enumerate(docs)])
    if not _has_table(db, "chunk_tokens"):
        db.execute("create table chunk_tokens (chunk_id text primary key, tokens text not null)")
        db.executemany("insert into chunk_tokens values (?, ?)",
                       [(cid, json.dumps(document_tokens(text), ensure_ascii=False))
                        for cid, text in db.execute("select id, text from chunks")])
    if not _has_table(db, "accent_counts"):
        db.execute("create table accent_counts (folded text not null, form text not null, n integer not null, "
                   "first_ord integer not null, first_event integer not null, primary key (folded, form)) "
                   "without rowid")
        order = dict(db.execute("select source_id, ord from doc_order"))
        for d in docs:
            _count(db, d.text, order[d.source.id])


def per_document(text: str) -> dict[tuple[str, str], list[int]]:
    """(folded, form) → [count, index of its first event] for one document."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(grams(text)):
        if key in out:
            out[key][0] += 1
        else:
            out[key] = [1, i]
    return out


def _count(db: sqlite3.Connection, text: str, ord_: int) -> set[str]:
    counts = per_document(text)
    db.executemany(
        "insert into accent_counts (folded, form, n, first_ord, first_event) values (?, ?, ?, ?, ?) "
        "on conflict (folded, form) do update set n = n + excluded.n, "
        "first_event = case when excluded.first_ord < first_ord then excluded.first_event else first_event end, "
        "first_ord = min(first_ord, excluded.first_ord)",
        [(f, g, n, ord_, e) for (f, g), (n, e) in counts.items()])
    return {f for f, _ in counts}


def _uncount(db: sqlite3.Connection, text: str, ord_: int, others: list[Document], order: dict[str, int]) -> set[str]:
    """Take one document's n-grams out; a form first seen in it is re-dated to the next
    document (in corpus order) that has it, so ties still break as a rebuild would."""
    counts = per_document(text)
    db.executemany("update accent_counts set n = n - ? where folded = ? and form = ?",
                   [(n, f, g) for (f, g), (n, _) in counts.items()])
    db.execute("delete from accent_counts where n <= 0")
    orphans = db.execute("select folded, form from accent_counts where first_ord = ?", (ord_,)).fetchall()
    if orphans:
        later = sorted((d for d in others if order.get(d.source.id, -1) > ord_), key=lambda d: order[d.source.id])
        pending = {(f, g) for f, g in orphans}
        for d in later:
            if not pending:
                break
            plain = " " + " ".join(w.lower() for w in words(nfc(d.text))) + " "
            if not any(f" {g} " in plain for _, g in pending):
                continue
            theirs = per_document(d.text)
            for key in [k for k in pending if k in theirs]:
                db.execute("update accent_counts set first_ord = ?, first_event = ? where folded = ? and form = ?",
                           (order[d.source.id], theirs[key][1], *key))
                pending.discard(key)
    return {f for f, _ in counts}


def _carry_sections(db: sqlite3.Connection, old: Path, tmp: Path, docs: list[Document], embedder,
                    section_info: dict | None = None, dense_info: dict | None = None) -> dict:
    """The new generation's sections (sections.py), exactly as a full build splits them; a section
    an earlier generation already had keeps its vector, a one-clause section takes its clause's,
    and only the rest (the new documents' sections) are embedded."""
    from .sections import split as split_sections

    rows = db.execute('select seq, id, source_id, start, "end", text, location, heading from chunks '
                      'order by seq').fetchall()
    chunks = [Chunk(id=r[1], source_id=r[2], start=r[3], end=r[4], text=r[5], location=r[6], heading=r[7])
              for r in rows]
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(chunks):
        by_doc[c.source_id].append(i)
    sections, section_of = [], [0] * len(chunks)
    for d in docs:
        members = by_doc.get(d.source.id, [])
        found, of = split_sections(d.source.id, d.source.title, d.text, [chunks[i] for i in members], embedder.fits)
        for i, j in zip(members, of):
            section_of[i] = len(sections) + j
        sections += found
    known: dict[tuple, np.ndarray] = {}
    if (old / "sections.faiss").is_file():
        old_db = sqlite3.connect(old / "index.db")
        keys = old_db.execute('select seq, source_id, start, "end" from sections order by seq').fetchall()
        old_db.close()
        store = dense_index.ready(faiss.read_index(str(old / "sections.faiss")), section_info)
        vectors = store.reconstruct_n(0, store.ntotal)
        known = {(sid, a, b): vectors[seq] for seq, sid, a, b in keys}
    dense = dense_index.ready(faiss.read_index(str(tmp / "dense.faiss")), dense_info)
    sources = {d.source.id: d.source for d in docs}
    out = np.zeros((len(sections), dense.d), dtype=np.float32)
    members_of: dict[int, list[int]] = defaultdict(list)
    for i, j in enumerate(section_of):
        members_of[j].append(i)
    todo = []
    for j, sec in enumerate(sections):
        m = members_of.get(j, [])
        if (sec.source_id, sec.start, sec.end) in known:
            out[j] = known[(sec.source_id, sec.start, sec.end)]
        elif len(m) == 1 and passage_text(chunks[m[0]], sources[sec.source_id]) == sec.text:
            out[j] = dense.reconstruct(m[0])
        else:
            todo.append(j)
    if todo:
        out[todo] = embedder.passages([sections[j].text for j in todo])
    db.execute('create table if not exists sections (seq integer primary key, source_id text, start integer, '
               '"end" integer)')
    db.execute("create table if not exists section_of (chunk_seq integer primary key, section_seq integer)")
    db.execute("delete from sections")
    db.execute("delete from section_of")
    db.executemany('insert into sections (seq, source_id, start, "end") values (?, ?, ?, ?)',
                   [(i, sec.source_id, sec.start, sec.end) for i, sec in enumerate(sections)])
    db.executemany("insert into section_of (chunk_seq, section_seq) values (?, ?)", list(enumerate(section_of)))
    store, info = dense_index.make(out)
    faiss.write_index(store, str(tmp / "sections.faiss"))
    shutil.rmtree(tmp / "section_lexical", ignore_errors=True)
    LexicalIndex.build([sec.text for sec in sections]).save(tmp / "section_lexical")
    return info


def _fsync_tree(path: Path) -> None:
    for root, _, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))
