"""Does a clause speak of what the question is about, or only share its verbs?

A near miss ("Tiệm cắt tóc có được mở cửa không?") shares the frame of a real question ("có được
mở cửa không") and e5's cosine with a clause on shops opening is high; what gives it away is its
subject: the documents never speak of "tóc". Two measures, both IDF-weighted over the question's
content words (question words such as "có … không" left out):

* `coverage`: the share of the question's words that the clause, or a resident's question written
  for it (the FAQ), contains. The FAQ carries residents' words for the clause's subject ("app",
  "đêm khuya"), so an answerable question finds them there even when the clause says it otherwise;
  a near miss's subject is in neither. A word the glossary translates counts when the clause has
  a translation.
* `unknown`: the share of the question's words that no clause and no FAQ question uses at all:
  the question is about something the documents never mention.

A word typed with diacritics must match with them ("tóc" is not "tốc", "thuê trọ" is not "thuế
trợ"); a word typed without them matches folded. Nothing here is specific to one corpus: with no
FAQ, only the clauses' own words count.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .query import QUESTION_WORDS, Query
from .text import fold, has_diacritics, nfc, words


def _forms(text: str) -> set[str]:
    """A text's words, each both as written (lower-case NFC) and folded."""
    ws = words(nfc(text).lower())
    return set(ws) | {fold(w) for w in ws}


def _key(word: str) -> str:
    """How a question's word is looked up: as typed when it has diacritics, else folded."""
    return word if has_diacritics(word) else fold(word)


class SubjectCoverage:
    def __init__(self, chunk_texts: Sequence[str], faq_texts: Sequence[Sequence[str]] = ()):
        """`faq_texts[i]`: the residents' questions written for clause i (may be empty)."""
        folded = [set(words(fold(t))) for t in chunk_texts]
        df = Counter(w for ws in folded for w in ws)
        n = max(len(folded), 1)
        self._idf = {w: math.log(1 + n / f) for w, f in df.items()}
        self._unseen_idf = math.log(1 + 2 * n)
        extra = list(faq_texts) + [()] * (len(chunk_texts) - len(faq_texts))
        self._forms = [_forms(t).union(*(_forms(q) for q in qs)) for t, qs in zip(chunk_texts, extra)]
        self._known = set().union(*self._forms) if self._forms else set()

    def _weighted(self, q: Query) -> list[tuple[str, float]]:
        ws = [w for w in words(nfc(q.text).lower()) if fold(w) not in QUESTION_WORDS]
        return [(_key(w), self._idf.get(fold(w), self._unseen_idf)) for w in ws]

    def coverage(self, q: Query, groups: Sequence[Sequence[int]]) -> list[float]:
        """For each group of clauses (one passage), the share of the question's words it or
        its FAQ questions hold; glossary phrases count when a translation is there."""
        asked = self._weighted(q)
        total = sum(wt for _, wt in asked)
        if not total:
            return [0.0] * len(groups)
        bridged = [({_key(w) for w in words(nfc(said).lower())}, [_forms(m) for m in means])
                   for said, means in q.bridges]
        out = []
        for g in groups:
            have = set().union(*(self._forms[i] for i in g))
            found = have.union(*(said for said, means in bridged if any(m <= have for m in means)))
            out.append(sum(wt for w, wt in asked if w in found) / total)
        return out

    def unknown(self, q: Query) -> float:
        """The share of the question's words that no clause and no FAQ question uses (words the
        glossary knows excepted)."""
        asked = self._weighted(q)
        total = sum(wt for _, wt in asked)
        if not total:
            return 0.0
        glossary = {_key(w) for said, _ in q.bridges for w in words(nfc(said).lower())}
        return sum(wt for w, wt in asked if w not in self._known and w not in glossary) / total
