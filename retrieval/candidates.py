"""Each side's scores before fusion: lexical (BM25), dense (FAISS), the FAQ's and the sections'.

Every side returns a `Sparse`: only the clauses it scores, so the work per question grows with
the candidates, not with the corpus.
"""
from __future__ import annotations

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


def sections(index: SectionIndex, vec: np.ndarray, q: Query, expansion_weight: float, per_side: int
             ) -> tuple[np.ndarray, Sparse]:
    """The sections (the whole document or paragraph around a clause) that score best whole: the
    `per_side` nearest by cosine, and the `per_side` best by BM25 (with the glossary's phrases, as
    for clauses); and the BM25 side itself, to read the candidates' section scores from."""
    n = len(index)
    best = np.zeros(0, np.int64)
    if n:
        _, ids = index.dense.search(vec[None, :].astype(np.float32), min(n, per_side))
        best = ids[0][ids[0] >= 0].astype(np.int64)
    lex = lexical(index.lexical, q, expansion_weight)
    return np.union1d(best, lex.best(per_side)), lex


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
