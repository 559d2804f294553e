"""How much of a question a clause says: the IDF-weighted share of the question's words it holds.

Used twice: as a small boost in fusion (near-ties go to the clause that says what was asked) and
in abstention (e5's cosines are compressed; shared words separate on- from off-topic far better).

Only the clauses a question brings up are ever looked at, so a clause's words are read from its
text when first needed (and kept for the next questions, up to CACHED clauses), and the document
frequencies come from the lexical index, whose tokens include the same folded words: loading
costs nothing per clause and memory does not grow with the corpus.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

from .query import QUESTION_WORDS, Query
from .text import fold, words

CACHED = 50_000  # clauses whose word sets are kept between questions


@lru_cache(maxsize=200_000)
def _folded(piece: str) -> tuple[str, ...]:
    return tuple(words(fold(piece)))


class WordCoverage:
    def __init__(self, chunk_texts: Sequence[str], document_frequency: Callable[[str], int] | None = None):
        """`document_frequency(word)`: in how many of the clauses a word appears; counted from
        the texts when not given (small corpora, tests)."""
        self._texts = chunk_texts
        n = len(chunk_texts)
        if document_frequency is None:
            counts = Counter(w for t in chunk_texts for w in set(words(fold(t))))
            document_frequency = counts.__getitem__  # a Counter gives 0 for a word it lacks
        self._df = document_frequency
        self._n = n
        self._unseen_idf = math.log(1 + 2 * n)  # a word the corpus never uses is the most telling
        self.words_of = lru_cache(maxsize=CACHED)(self._read)  # thread-safe, bounded

    def idf(self, word: str) -> float:
        f = self._df(word)
        return math.log(1 + self._n / f) if f else self._unseen_idf

    def _read(self, i: int) -> frozenset[str]:
        """The folded words of clause `i`: `words(fold(text))`, read piece by piece (whitespace
        never folds and no word spans it), each distinct piece folded once."""
        return frozenset(w for piece in self._texts[i].split() for w in _folded(piece))

    def of(self, q: Query, chunks: Sequence[int] | Sequence[list[int]]) -> list[float]:
        """For each chunk (or passage of joined chunks), the share of the question's words it holds.

        Question words ("có … không", "gì") are left out. A resident's word the glossary translates
        counts as found when the chunk has one of its translations ("app" in "ứng dụng công nghệ").
        """
        ws = [w for w in words(fold(q.text)) if w not in QUESTION_WORDS]
        weights = [self.idf(w) for w in ws]
        total = sum(weights)
        if not total:
            return [0.0] * len(chunks)
        bridged = [(set(words(fold(said))), [set(words(fold(m))) for m in means]) for said, means in q.bridges]
        out = []
        for i in chunks:
            have = frozenset().union(*(self.words_of(j) for j in i)) if isinstance(i, list) else self.words_of(int(i))
            found = have.union(*(said for said, means in bridged if any(m <= have for m in means)))
            out.append(sum(wt for w, wt in zip(ws, weights) if w in found) / total)
        return out


class ClauseTexts(Sequence):
    """The clauses' texts, read from the chunks when asked for (no copy of the corpus)."""

    def __init__(self, chunks: Sequence):
        self._chunks = chunks

    def __len__(self) -> int:
        return len(self._chunks)

    def __getitem__(self, i):
        return self._chunks[i].text
