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
from collections.abc import Callable, Sequence
from functools import lru_cache

from .coverage import ClauseTexts
from .query import QUESTION_WORDS, Query
from .text import fold, has_diacritics, nfc, words


def _forms(text: str) -> set[str]:
    """A text's words, each both as written (lower-case NFC) and folded."""
    ws = words(nfc(text).lower())
    return set(ws) | {fold(w) for w in ws}


def _key(word: str) -> str:
    """How a question's word is looked up: as typed when it has diacritics, else folded."""
    return word if has_diacritics(word) else fold(word)


CACHED = 50_000  # clauses whose word forms are kept between questions


class SubjectCoverage:
    def __init__(self, chunk_texts: Sequence[str], faq_texts: Sequence[Sequence[str]] = (),
                 document_frequency: Callable[[str], int] | None = None, known: set[str] | None = None):
        """`faq_texts[i]`: the residents' questions written for clause i (may be empty).

        Only the clauses a question brings up are read, when first needed (and kept for the next
        questions, up to CACHED clauses): `document_frequency(folded word)` says in how many
        clauses a word appears and `known` holds every form any clause or FAQ question uses; both
        are counted from the texts when not given (small corpora, tests)."""
        self._texts = chunk_texts
        self._faq = faq_texts
        self._n = max(len(chunk_texts), 1)
        if document_frequency is None:
            counts = Counter(w for t in chunk_texts for w in set(words(fold(t))))
            document_frequency = counts.__getitem__  # a Counter gives 0 for a word it lacks
        self._df = document_frequency
        self._unseen_idf = math.log(1 + 2 * self._n)
        self.forms_of = lru_cache(maxsize=CACHED)(self._read)  # thread-safe, bounded
        if known is None:
            known = set().union(*(self._read(i) for i in range(len(chunk_texts))))
        self._known = known

    @classmethod
    def of_index(cls, index) -> "SubjectCoverage":
        """For an index (index.Index): document frequencies from its BM25 postings (whose tokens
        include every folded word of a clause) and the known forms from its recorded words, so
        loading reads no clause; an index without words.json is read clause by clause."""
        faq_texts: dict[int, list[str]] = {}
        if index.faq is not None:
            for row, i in zip(index.faq.question, index.faq.chunk):
                faq_texts.setdefault(int(i), []).append(index.faq.questions[row])
        texts = ClauseTexts(index.chunks)
        if index.words is None:
            return cls(texts, _PerClause(faq_texts, len(texts)), index.lexical.document_frequency)
        known = set(index.words) | {fold(w) for w in index.words}
        for qs in faq_texts.values():
            for q in qs:
                known |= _forms(q)
        return cls(texts, _PerClause(faq_texts, len(texts)), index.lexical.document_frequency, known)

    def idf(self, word: str) -> float:
        """`word` folded."""
        f = self._df(word)
        return math.log(1 + self._n / f) if f else self._unseen_idf

    def _read(self, i: int) -> frozenset[str]:
        """Clause `i`'s word forms and those of its FAQ questions."""
        qs = self._faq[i] if i < len(self._faq) else ()
        return frozenset(_forms(self._texts[i]).union(*(_forms(q) for q in qs)))

    def _weighted(self, q: Query) -> list[tuple[str, float]]:
        ws = [w for w in words(nfc(q.text).lower()) if fold(w) not in QUESTION_WORDS]
        return [(_key(w), self.idf(fold(w))) for w in ws]

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
            have = frozenset().union(*(self.forms_of(int(i)) for i in g))
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


class _PerClause(Sequence):
    """Each clause's FAQ questions (most clauses of a large corpus have none)."""

    def __init__(self, by_clause: dict[int, list[str]], n: int):
        self._by_clause, self._n = by_clause, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        return self._by_clause.get(i, ())
