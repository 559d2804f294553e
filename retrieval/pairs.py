"""Does a clause say the question's phrases, or only its words one by one?

Vietnamese writes one syllable per word, so a question's subject is usually a pair of them:
"mũi 3", "cắt tóc", "giấy đi đường", "thuê trọ". A near miss shares the syllables of a real
question ("tiêm", "mũi", "được"), so word coverage (subject.py) rates it high; the pairs it is
made of are what the documents never say. Two measures over the question's adjacent word pairs
(a pair of two question words such as "có được" left out), each weighted by its words' IDF:

* `coverage`: the share of the pairs that the clause, or a resident's question written for it
  (the FAQ), contains as adjacent words;
* `unknown`: the share of the pairs that no clause and no FAQ question contains.

Matching follows subject.py: a word typed with diacritics must match with them, a bare word
matches folded. A question of one content word has no pairs: coverage 1, unknown 0 (no
evidence either way). Nothing here is specific to one corpus.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .query import QUESTION_WORDS, Query
from .subject import _key
from .text import fold, nfc, words

Pair = tuple[str, str]


def _pairs(text: str) -> set[Pair]:
    """A text's adjacent word pairs, both as written (lower-case NFC) and folded."""
    ws = words(nfc(text).lower())
    fs = [fold(w) for w in ws]
    return set(zip(ws, ws[1:])) | set(zip(fs, fs[1:]))


class PairCoverage:
    def __init__(self, chunk_texts: Sequence[str], faq_texts: Sequence[Sequence[str]] = ()):
        """`faq_texts[i]`: the residents' questions written for clause i (may be empty)."""
        folded = [set(words(fold(t))) for t in chunk_texts]
        df = Counter(w for ws in folded for w in ws)
        n = max(len(folded), 1)
        self._idf = {w: math.log(1 + n / f) for w, f in df.items()}
        self._unseen_idf = math.log(1 + 2 * n)
        extra = list(faq_texts) + [()] * (len(chunk_texts) - len(faq_texts))
        self._pairs = [_pairs(t).union(*(_pairs(q) for q in qs)) for t, qs in zip(chunk_texts, extra)]
        self._known = set().union(*self._pairs) if self._pairs else set()

    def _weighted(self, q: Query) -> list[tuple[Pair, float]]:
        ws = words(nfc(q.text).lower())
        out = []
        for a, b in zip(ws, ws[1:]):
            if fold(a) in QUESTION_WORDS and fold(b) in QUESTION_WORDS:
                continue
            weight = self._idf.get(fold(a), self._unseen_idf) + self._idf.get(fold(b), self._unseen_idf)
            out.append(((_key(a), _key(b)), weight))
        return out

    def coverage(self, q: Query, groups: Sequence[Sequence[int]]) -> list[float]:
        """For each group of clauses (one passage), the share of the question's pairs it or its
        FAQ questions hold."""
        asked = self._weighted(q)
        total = sum(wt for _, wt in asked)
        if not total:
            return [1.0] * len(groups)
        out = []
        for g in groups:
            have = set().union(*(self._pairs[i] for i in g))
            out.append(sum(wt for p, wt in asked if p in have) / total)
        return out

    def unknown(self, q: Query) -> float:
        """The share of the question's pairs that no clause and no FAQ question holds."""
        asked = self._weighted(q)
        total = sum(wt for _, wt in asked)
        if not total:
            return 0.0
        return sum(wt for p, wt in asked if p not in self._known) / total
