"""A question's best BM25 clauses without adding up every posting of its common words (MaxScore).

"có", "được", "không" are in a large share of clauses, so summing every posting of every word
of the question costs more the larger the corpus. But a clause that holds none of the question's
rarer words can score at most the sum of the common words' largest contributions; once the
best `m` clauses found among the rarer words' postings score above that sum, the common words
are looked up (binary search in their postings) only for those clauses (Turtle & Flood's
MaxScore). Scores are added in the question's word order, in float32, as bm25s adds them, so
every score is the same float bm25s would give, and so is the ranking (ties to the lower
position). When pruning would save little (every word of the question is common), bm25s's own
full sum is used: it is vectorised and cheap per posting, binary searches are not.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from .lexical import LexicalIndex
from .sparse import Sparse, best_first

Allowed = Callable[[np.ndarray], np.ndarray] | None  # clause positions → in force (None: all)
_MARGIN = 1e-5  # relative slack on the bounds, against float32 rounding
# A binary search in a posting costs about this many postings added up (vectorised): pruning is
# chosen only when the clauses to look up, times the words, are far fewer than all the postings.
_LOOKUP = 8


class BM25Side:
    """The lexical side for one question: BM25 of its words plus `weight` × BM25 of the
    glossary's phrases (`expansion`)."""

    def __init__(self, index: LexicalIndex, question: str, expansion: str | None = None, weight: float = 0.5):
        self.index = index
        self.words = self._ids(question)
        self.more = self._ids(expansion) if expansion else []
        self.weight = weight
        post = index.bm25.scores
        self._indptr, self._indices, self._data = post["indptr"], post["indices"], post["data"]

    def _ids(self, text: str) -> list[int]:
        tokens = self.index.query_tokens(text)
        return [int(t) for t in self.index.bm25.get_tokens_ids(tokens)] if tokens else []

    def _posting(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._indptr[t], self._indptr[t + 1]
        return self._indices[a:b], self._data[a:b]

    def _sum(self, tokens: list[int], ids: np.ndarray) -> np.ndarray:
        """Each clause's sum over `tokens` in their order, in float32 (0 where none is held)."""
        out = np.zeros(len(ids), dtype=np.float32)
        for t in tokens:
            docs, data = self._posting(t)
            if not len(docs):
                continue
            pos = np.minimum(np.searchsorted(docs, ids), len(docs) - 1)
            held = docs[pos] == ids
            out[held] += data[pos[held]]
        return out

    def at(self, ids: np.ndarray) -> np.ndarray:
        """The exact scores of `ids` (0 for a clause holding none of the words)."""
        ids = np.asarray(ids, dtype=np.int64)
        scores = self._sum(self.words, ids)
        if self.more:
            scores = scores + self.weight * self._sum(self.more, ids)
        return scores

    def matched(self, allowed: Allowed = None) -> Sparse:
        """Every clause holding a word (in force), scored: bm25s's full sum over the corpus."""
        if not self.words and not self.more:
            return Sparse.empty()
        n = self.index.size
        scores = self.index.bm25.get_scores(self.words) if self.words else np.zeros(n, np.float32)
        if self.more:
            scores = scores + self.weight * self.index.bm25.get_scores(self.more)
        ids = np.flatnonzero(scores)
        side = Sparse(ids, scores[ids].astype(np.float32))
        return side if allowed is None else side.where(allowed(side.ids))

    def best(self, m: int, allowed: Allowed = None) -> Sparse:
        """The `m` best clauses in force (fewer if fewer hold a word), best first, exactly as
        `matched(allowed)` ranks them."""
        distinct = list(dict.fromkeys(self.words + self.more))
        if not distinct:
            return Sparse.empty()
        df = {t: int(self._indptr[t + 1] - self._indptr[t]) for t in distinct}
        bound = self._bounds(distinct)
        theta = self._threshold(sorted(distinct, key=df.get), m, allowed)
        # a clause holding only words whose bounds add up to less than theta cannot be among the best
        essential, total = [], 0.0
        for t in sorted(distinct, key=bound.get):
            total += bound[t]
            if total * (1 + _MARGIN) >= theta:
                essential.append(t)
        looked_up = sum(df[t] for t in essential) * (2 + _LOOKUP * len(self.words + self.more))
        if theta <= 0 or looked_up >= sum(df.values()):
            found = self.matched(allowed)  # pruning would cost more than it saves
        else:
            ids = np.unique(np.concatenate([self._posting(t)[0] for t in essential])).astype(np.int64)
            if allowed is not None:
                ids = ids[allowed(ids)]
            found = Sparse(ids, self.at(ids))
        order = best_first(found.values, m)
        return Sparse(found.ids[order], found.values[order])

    def _bounds(self, distinct: list[int]) -> dict[int, float]:
        """The most a word can add to a clause's score (its largest posting, times how often it
        is asked for, the glossary's at their weight)."""
        words, more = Counter(self.words), Counter(self.more)
        top = self.index.maxima
        return {t: float(top[t]) * (words[t] + abs(self.weight) * more[t]) for t in distinct}

    def _threshold(self, rare_first: list[int], m: int, allowed: Allowed) -> float:
        """A score the m-th best clause reaches at least: the m-th best among a few clauses that
        hold the rarest words strongly (0 when they are fewer than m)."""
        picked = []
        for t in rare_first[:3]:
            docs, data = self._posting(t)
            if len(docs) > 8 * m:
                docs = docs[np.argpartition(data, len(data) - 8 * m)[-8 * m:]]
            picked.append(docs)
            if sum(map(len, picked)) >= 8 * m:
                break
        ids = np.unique(np.concatenate(picked)).astype(np.int64) if picked else np.zeros(0, np.int64)
        if allowed is not None:
            ids = ids[allowed(ids)]
        if len(ids) < m:
            return 0.0
        scores = self.at(ids)
        return float(np.partition(scores, len(scores) - m)[len(scores) - m])
