"""How much of a question a clause says: the IDF-weighted share of the question's words it holds.

Used twice: as a small boost in fusion (near-ties go to the clause that says what was asked) and
in abstention (e5's cosines are compressed; shared words separate on- from off-topic far better).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .query import QUESTION_WORDS, Query
from .text import fold, words


class WordCoverage:
    def __init__(self, chunk_texts: Sequence[str]):
        self._words = [set(words(fold(t))) for t in chunk_texts]
        df = Counter(w for ws in self._words for w in ws)
        n = len(self._words)
        self._idf = {w: math.log(1 + n / f) for w, f in df.items()}
        self._unseen_idf = math.log(1 + 2 * n)  # a word the corpus never uses is the most telling

    def of(self, q: Query, chunks: Sequence[int] | Sequence[list[int]]) -> list[float]:
        """For each chunk (or passage of joined chunks), the share of the question's words it holds.

        Question words ("có … không", "gì") are left out. A resident's word the glossary translates
        counts as found when the chunk has one of its translations ("app" in "ứng dụng công nghệ").
        """
        ws = [w for w in words(fold(q.text)) if w not in QUESTION_WORDS]
        weights = [self._idf.get(w, self._unseen_idf) for w in ws]
        total = sum(weights)
        if not total:
            return [0.0] * len(chunks)
        bridged = [(set(words(fold(said))), [set(words(fold(m))) for m in means]) for said, means in q.bridges]
        out = []
        for i in chunks:
            have = set().union(*(self._words[j] for j in i)) if isinstance(i, list) else self._words[i]
            found = have.union(*(said for said, means in bridged if any(m <= have for m in means)))
            out.append(sum(wt for w, wt in zip(ws, weights) if w in found) / total)
        return out
