"""Scores for some clauses only, and the best of them, without touching every clause.

A side of the search (BM25, FAISS, the FAQ) scores a few hundred clauses of a corpus that may
hold a million; per question, the work after scoring is on those few. Ties are always broken
towards the earlier clause (lower position), so results do not depend on a sort's whims.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sparse:
    """Clause positions (ascending, unique) and one score each."""

    ids: np.ndarray  # int64
    values: np.ndarray  # float32

    @classmethod
    def of(cls, ids, values) -> Sparse:
        """From positions in any order (each at most once)."""
        ids, values = np.asarray(ids, dtype=np.int64), np.asarray(values, dtype=np.float32)
        order = np.argsort(ids, kind="stable")
        return cls(ids[order], values[order])

    @classmethod
    def empty(cls) -> Sparse:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def at(self, ids: np.ndarray, missing: float) -> np.ndarray:
        """The scores of `ids` (float32), `missing` for a clause this side did not score."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(len(ids), missing, dtype=np.float32)
        if len(self.ids) and len(ids):
            pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
            hit = self.ids[pos] == ids
            out[hit] = self.values[pos[hit]]
        return out

    def where(self, keep: np.ndarray) -> Sparse:
        return Sparse(self.ids[keep], self.values[keep])

    def best(self, m: int) -> np.ndarray:
        """The positions of the `m` highest scores, best first, ties to the lower position."""
        return self.ids[best_first(self.values, m)]


def best_first(values: np.ndarray, m: int | None = None) -> np.ndarray:
    """Indices of `values` in descending order (ties: lower index first), the first `m` only
    when given. Selecting m of n costs O(n) (a partition), sorting only the m."""
    n = len(values)
    if m is None or m >= n:
        return np.argsort(-values, kind="stable")
    if m <= 0:
        return np.zeros(0, np.int64)
    kth = np.partition(values, n - m)[n - m]  # the m-th highest value
    above = np.flatnonzero(values > kth)
    ties = np.flatnonzero(values == kth)[:m - len(above)]
    chosen = np.concatenate([above, ties])  # ascending within each part
    chosen.sort()
    return chosen[np.argsort(-values[chosen], kind="stable")]


def ranked(ids: np.ndarray, values: np.ndarray, first: int) -> Iterator[int]:
    """`ids` best first by `values` (ties: the order given), lazily: the best `first` are
    selected, and the rest sorted only if the consumer asks for more."""
    head = best_first(values, first)
    yield from (int(i) for i in ids[head])
    if len(head) < len(values):
        yield from (int(i) for i in ids[best_first(values)[len(head):]])
