"""Each side's scores before fusion: lexical (BM25), dense (FAISS), the FAQ's and the sections'.

Every side returns a `Sparse`: only the clauses it scores, so the work per question grows with
the candidates, not with the corpus (but for small corpora, sorted whole: PADDED_UP_TO).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .index import FaqIndex, Index, LexicalIndex, SectionIndex
from .query import Query
from .sparse import Sparse


def lexical(index: LexicalIndex, q: Query, expansion_weight: float) -> Sparse:
    """BM25 of the question's words, plus the glossary's phrases at `expansion_weight`; the
    clauses holding none of them are left out (their score is 0). bm25s adds up the postings of
    the question's words into one array over the corpus: vectorised (~12 ms at 1M clauses), and
    the one per-question step whose cost grows with the corpus. Pruning the common words'
    postings (MaxScore, exact) was tried and measured at 1M: Vietnamese questions are mostly
    common syllables ("có", "được", "không", "người"), it paid for 2 of 100 gold questions and
    binary searches in numpy cost far more than the sums they save, so it was dropped."""
    scores = index.scores(q.text)
    if q.expansion:
        scores = scores + expansion_weight * index.scores(" ".join(q.expansion))
    ids = np.flatnonzero(scores)
    return Sparse(ids, scores[ids])


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


@dataclass(frozen=True)
class SectionScores:
    """What the sections side gives a question: the sections whose clauses join the candidates,
    and each section's cosine and BM25 score when asked for (`cosine(rows)`, `bm25(rows)`)."""

    best: np.ndarray
    cosine: Callable[[np.ndarray], np.ndarray]
    bm25: Callable[[np.ndarray], np.ndarray]


def sections(index: SectionIndex, vec: np.ndarray, q: Query, expansion_weight: float, per_side: int
             ) -> SectionScores:
    """The sections (the whole document or paragraph around a clause) scored whole: the
    `per_side` best by cosine and the `per_side` best by BM25 (with the glossary's phrases, as
    for clauses). Up to PADDED_UP_TO sections in an exact index, every section is scored and
    sorted, as the clause sides are; above, the nearest come from FAISS, the best BM25 scores
    from those that hold a word, and cosines are computed for the sections asked about only."""
    n = len(index)
    whole = index.matrix() if n <= PADDED_UP_TO else None
    if whole is not None:
        cos = whole @ vec
        bm25 = lexical(index.lexical, q, expansion_weight)
        lex = padded(bm25, n, 0.0)
        best = np.unique(np.concatenate([np.argsort(-cos)[:per_side], np.argsort(-lex)[:per_side]]))
        return SectionScores(best, cos.__getitem__, lex.__getitem__)
    nearest = np.zeros(0, np.int64)
    if n:
        _, ids = index.dense.search(vec[None, :].astype(np.float32), min(n, per_side))
        nearest = ids[0][ids[0] >= 0].astype(np.int64)
    bm25 = lexical(index.lexical, q, expansion_weight)
    return SectionScores(np.union1d(nearest, bm25.best(per_side)), lambda rows: index.cosines(rows, vec),
                         lambda rows: bm25.at(rows, 0.0))


# Up to this many clauses (where the exact dense search reads every vector anyway), each side is
# sorted whole over the corpus, as the shipped rankings were tuned with: a side that scores fewer
# than `per_side` clauses is padded with unscored ones, and ties fall in numpy's order; one sort
# costs ~1 ms at 50k. Above, a side proposes only what it scored, its best selected with ties to
# the earlier clause; on the gold and near-miss questions at 174 clauses that would change the
# hybrid's top 8 for 14 of 556 (padding moves the z-scores), hence the threshold.
PADDED_UP_TO = 50_000


def pool(per_side: int, *sides: Sparse | np.ndarray) -> np.ndarray:
    """The clauses any side ranks in its top `per_side` (ascending positions): the candidates
    fusion standardises over. A `Sparse` side proposes only clauses it scored (BM25: holding a
    word of the question); a side given whole (`padded`) is sorted whole."""
    out = np.array([], dtype=np.int64)
    for s in sides:
        best = s.best(per_side) if isinstance(s, Sparse) else np.argsort(-s)[:per_side]
        out = np.union1d(out, best)
    return out


def padded(side: Sparse, n: int, missing: float, allowed: np.ndarray | None = None) -> np.ndarray:
    """`side`'s scores over all `n` clauses: `missing` where it scored nothing, and -inf for a
    clause not in force (`allowed` False)."""
    full = np.full(n, missing, dtype=np.float32)
    if allowed is not None:
        full[~allowed] = -np.inf
    full[side.ids] = side.values
    return full


def cosines(side: Sparse, index: Index, vec: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Exact cosines for `ids`: FAISS's where it found them, else from the stored vectors."""
    out = side.at(ids, -np.inf)
    unscored = np.flatnonzero(np.isneginf(out))
    if unscored.size:
        out[unscored] = index.dense.reconstruct_batch(ids[unscored]) @ vec
    return out
