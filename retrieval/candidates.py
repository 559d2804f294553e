"""Each side's scores for every clause, before fusion: lexical (BM25), dense (FAISS), and the FAQ's.

Every function returns a new array, one score per clause (`-inf` where a side has no score).
"""
from __future__ import annotations

import numpy as np

from .index import FaqIndex, Index, LexicalIndex, SectionIndex
from .query import Query


def lexical(index: LexicalIndex, q: Query, expansion_weight: float) -> np.ndarray:
    """BM25 of the question's words, plus the glossary's phrases at `expansion_weight`."""
    scores = index.scores(q.text)
    if q.expansion:
        scores = scores + expansion_weight * index.scores(" ".join(q.expansion))
    return scores


def dense(index: Index, vec: np.ndarray, nearest: int) -> np.ndarray:
    """Cosines of the `nearest` clauses FAISS finds; -inf for the rest (filled later if needed)."""
    n = len(index.chunks)
    cos = np.full(n, -np.inf, dtype=np.float32)
    sims, ids = index.dense.search(vec[None, :].astype(np.float32), min(n, nearest))
    ok = ids[0] >= 0
    cos[ids[0][ok]] = sims[0][ok]
    return cos


def faq(faq: FaqIndex, vec: np.ndarray, q: Query, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each clause's best cosine and best BM25 score over the residents' questions written for it
    (-inf and 0 where it has none)."""
    return faq.per_chunk(faq.vectors @ vec, n, -np.inf), faq.per_chunk(faq.lexical.scores(q.text), n, 0.0)


def sections(index: SectionIndex, vec: np.ndarray, q: Query, expansion_weight: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Each section (the whole document or paragraph around a clause) scored whole: its cosine
    and its BM25 score (with the glossary's phrases, as for clauses), one value per section."""
    return index.vectors @ vec, lexical(index.lexical, q, expansion_weight)


def in_best_sections(of_chunk: np.ndarray, per_side: int, *section_scores: np.ndarray) -> np.ndarray:
    """The clauses of each side's `per_side` best sections, so a section strong as a whole is
    fused even when none of its windows is a candidate on its own."""
    top = np.unique(np.concatenate([np.argsort(-s)[:per_side] for s in section_scores]))
    return np.flatnonzero(np.isin(of_chunk, top))


def pool(per_side: int, *sides: np.ndarray) -> np.ndarray:
    """The clauses any side ranks in its top `per_side`: the candidates fusion standardises over."""
    out = np.array([], dtype=np.int64)
    for s in sides:
        out = np.union1d(out, np.argsort(-s)[:per_side])
    return out


def fill_cosines(cos: np.ndarray, vectors: np.ndarray, vec: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """A copy of `cos` with exact cosines for `ids` that FAISS's nearest did not cover."""
    out = cos.copy()
    unscored = ids[np.isneginf(out[ids])]
    out[unscored] = vectors[unscored] @ vec
    return out
