"""Ranking metrics over judged result lists, kept free of any retrieval code so they can be hand-checked.

A judged list has one entry per retrieved item, best first: the set of relevant targets (evidence
spans, answer documents…) that item covers; an empty set means the item is not relevant. Sets rather
than booleans let nDCG credit each distinct target once, even when several chunks cover it.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Sequence

Judged = Sequence[Collection]


def first_relevant_rank(judged: Judged) -> int | None:
    """1-based rank of the first relevant item, None when nothing retrieved is relevant."""
    for rank, targets in enumerate(judged, 1):
        if targets:
            return rank
    return None


def hit_at(judged: Judged, k: int) -> float:
    """1.0 when a relevant item is in the top k (per-question Recall@k, averaged by `mean`)."""
    rank = first_relevant_rank(judged)
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(judged: Judged, k: int = 10) -> float:
    """1/rank of the first relevant item within the top k, else 0 (per-question MRR@k)."""
    rank = first_relevant_rank(judged)
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg(judged: Judged, n_relevant: int, k: int = 10) -> float:
    """nDCG@k with binary gains: an item gains 1 when it covers a target no earlier item covered.

    The ideal ranking puts one relevant item per target first, so the ideal DCG counts
    min(n_relevant, k) gains; a question without targets scores 0.
    """
    if n_relevant <= 0:
        return 0.0
    seen: set = set()
    dcg = 0.0
    for rank, targets in enumerate(list(judged)[:k], 1):
        new = set(targets) - seen
        if new:
            dcg += 1.0 / math.log2(rank + 1)
            seen |= new
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_relevant, k) + 1))
    return dcg / ideal


def mean(values: Sequence[float]) -> float:
    """Average that is 0 for an empty group, so a missing group shows up as n=0 instead of failing."""
    return sum(values) / len(values) if values else 0.0


def share(flags: Sequence[bool]) -> float:
    """Fraction of True flags (e.g. questions abstained on)."""
    return mean([1.0 if f else 0.0 for f in flags])
