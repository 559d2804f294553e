"""BM25 over diacritic-folded, word-segmented Vietnamese, so "ra ngoai" matches "ra ngoài".

Documents are segmented with pyvi (compound words such as "ra_ngoài", "cách_ly"); both the
syllables and the compounds are indexed, folded. A question is segmented against the index's own
vocabulary of folded compounds, which works the same with or without diacritics.
"""
from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

from .progress import track
from .text import fold, words

_MAX_COMPOUND = 4


def _syllables(text: str) -> list[str]:
    return [w for w in words(fold(text)) if w]


def document_tokens(text: str) -> list[str]:
    from pyvi import ViTokenizer

    tokens = _syllables(text)
    for w in ViTokenizer.tokenize(text).split():
        if "_" in w:
            parts = _syllables(w.replace("_", " "))
            if 1 < len(parts) <= _MAX_COMPOUND:
                tokens.append("_".join(parts))
    return tokens


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25):
        self.bm25 = bm25
        self.vocab = bm25.vocab_dict

    @classmethod
    def build(cls, texts: list[str], progress: bool = False, unit: str = "clauses segmented for BM25") -> "LexicalIndex":
        return cls.from_tokens([document_tokens(t) for t in track(texts, unit, show=progress)])

    @classmethod
    def from_tokens(cls, tokens: list[list[str]]) -> "LexicalIndex":
        """From each clause's tokens as `document_tokens` gives them (or a benchmark makes them)."""
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        return cls(bm25)

    def query_tokens(self, question: str) -> list[str]:
        """Syllables plus every run of 2–4 syllables that the index knows as a compound."""
        syl = _syllables(question)
        tokens = [s for s in syl if s in self.vocab]
        for n in range(2, _MAX_COMPOUND + 1):
            for i in range(len(syl) - n + 1):
                compound = "_".join(syl[i:i + n])
                if compound in self.vocab:
                    tokens.append(compound)
        return tokens

    def scores(self, question: str) -> np.ndarray:
        tokens = self.query_tokens(question)
        if not tokens:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return self.bm25.get_scores(tokens).astype(np.float32)

    def document_frequency(self, token: str) -> int:
        """How many clauses hold `token` (0 when none does)."""
        t = self.vocab.get(token)
        if t is None:
            return 0
        indptr = self.bm25.scores["indptr"]
        return int(indptr[t + 1] - indptr[t])

    @property
    def size(self) -> int:
        return int(self.bm25.scores["num_docs"])

    def save(self, path: Path) -> None:
        self.bm25.save(str(path))

    @classmethod
    def load(cls, path: Path) -> "LexicalIndex":
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        return cls(bm25s.BM25.load(str(path)))
