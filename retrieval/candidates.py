"""Each side's scores before fusion: lexical (BM25), dense (FAISS), and the FAQ's.

Every side gives a `Sparse`: only the clauses it scores (for BM25, its best ones), so the work
per question grows with the candidates, not with the corpus.
"""
from __future__ import annotations

import numpy as np

from .bm25_topk import BM25Side
from .index import FaqIndex, Index, LexicalIndex
from .query import Query
from .sparse import Sparse


def lexical(index: LexicalIndex, q: Query, expansion_weight: float) -> BM25Side:
    """BM25 of the question's words, plus the glossary's phrases at `expansion_weight`: its best
    clauses found without summing every posting of the question's common words (bm25_topk.py),
    any clause's exact score on demand."""
    return BM25Side(index, q.text, " ".join(q.expansion) if q.expansion else None, expansion_weight)


def dense(index: Index, vec: np.ndarray, nearest: int) -> Sparse:
    """Cosines of the `nearest` clauses FAISS finds (the others are filled in later if needed)."""
    n = len(index.chunks)
    sims, ids = index.dense.search(vec[None, :].astype(np.float32), min(n, nearest))
    ok = ids[0] >= 0
    return Sparse.of(ids[0][ok], sims[0][ok])


def faq(faq: FaqIndex, vec: np.ndarray, q: Query) -> tuple[Sparse, Sparse]:
    """Each clause's best cosine and best BM25 score over the residents' questions written for it
    (only clauses that have such questions; for BM25, only those with a question sharing a word)."""
    lex = faq.per_chunk(faq.lexical.scores(q.text))
    return faq.per_chunk(faq.vectors @ vec), lex.where(lex.values > 0)


def pool(per_side: int, *sides: Sparse) -> np.ndarray:
    """The clauses any side ranks in its top `per_side` (ascending positions): the candidates
    fusion standardises over. A side proposes only clauses it scored (BM25: holding a word of the
    question), never filler."""
    out = np.array([], dtype=np.int64)
    for s in sides:
        out = np.union1d(out, s.best(per_side))
    return out


def cosines(side: Sparse, index: Index, vec: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Exact cosines for `ids`: FAISS's where it found them, else from the stored vectors."""
    out = side.at(ids, -np.inf)
    unscored = np.flatnonzero(np.isneginf(out))
    if unscored.size:
        out[unscored] = index.dense.reconstruct_batch(ids[unscored]) @ vec
    return out
