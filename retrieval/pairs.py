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

Like subject.py, loading an index reads no clause: the pairs any clause or FAQ question holds
are recorded at build time (pairs.json, `write_pairs`), the document frequencies come from BM25's
postings, and a clause's pairs are read only when a question brings the clause up.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .coverage import ClauseTexts
from .query import QUESTION_WORDS, Query
from .subject import _key, _PerClause
from .text import fold, nfc, words

Pair = tuple[str, str]
FILE = "pairs.json"
CACHED = 50_000  # clauses whose pairs are kept between questions


def _pairs(text: str) -> set[Pair]:
    """A text's adjacent word pairs, both as written (lower-case NFC) and folded."""
    ws = words(nfc(text).lower())
    fs = [fold(w) for w in ws]
    return set(zip(ws, ws[1:])) | set(zip(fs, fs[1:]))


def _joined(p: Pair) -> str:
    """A pair as one string (words never hold a space): half the memory of a tuple in a set."""
    return f"{p[0]} {p[1]}"


@dataclass(frozen=True)
class Recorded:
    """What pairs.json holds. `underscored`: in how many clauses each folded word with an
    underscore appears. BM25's postings give every other word's document frequency exactly (its
    tokens are a clause's folded words plus compounds "a_b", which only such a word can equal)."""
    known: frozenset[str]
    underscored: dict[str, int]


def write_pairs(path: Path, clause_texts: Iterable[str], faq_questions: Iterable[str] = ()) -> None:
    """pairs.json beside words.json: every pair a clause or a FAQ question holds (both folded and as
    written), and the underscored words' document frequencies, so loading reads no clause."""
    known: set[str] = set()
    underscored: Counter = Counter()
    for t in clause_texts:
        known.update(_joined(p) for p in _pairs(t))
        if "_" in t:  # folding never makes an underscore
            underscored.update({w for w in words(fold(t)) if "_" in w})
    for q in faq_questions:
        known.update(_joined(p) for p in _pairs(q))
    (Path(path) / FILE).write_text(json.dumps({"pairs": sorted(known), "underscored": dict(sorted(underscored.items()))},
                                              ensure_ascii=False), encoding="utf-8")


def read_pairs(path: Path) -> Recorded | None:
    """pairs.json as written by `write_pairs`; None for an index built before it existed."""
    f = Path(path) / FILE
    if not f.is_file():
        return None
    data = json.loads(f.read_text(encoding="utf-8"))
    return Recorded(frozenset(data["pairs"]), {w: int(n) for w, n in data["underscored"].items()})


class PairCoverage:
    def __init__(self, chunk_texts: Sequence[str], faq_texts: Sequence[Sequence[str]] = (),
                 document_frequency: Callable[[str], int] | None = None, known: Iterable[str] | None = None):
        """`faq_texts[i]`: the residents' questions written for clause i (may be empty).

        `document_frequency(folded word)`: in how many clauses a word appears; `known`: every pair
        (`_joined`) a clause or FAQ question holds. Both are counted from the texts when not given
        (small corpora, tests, an index without pairs.json)."""
        self._texts = chunk_texts
        self._faq = faq_texts
        n = max(len(chunk_texts), 1)
        self._n = n
        if document_frequency is None:
            counts = Counter(w for t in chunk_texts for w in set(words(fold(t))))
            document_frequency = counts.__getitem__  # a Counter gives 0 for a word it lacks
        self._df = document_frequency
        self._unseen_idf = math.log(1 + 2 * n)
        self.pairs_of = lru_cache(maxsize=CACHED)(self._read)  # thread-safe, bounded
        if known is None:
            known = {_joined(p) for i in range(len(chunk_texts)) for p in self._read(i)}
        self._known = known

    @classmethod
    def of_index(cls, index) -> "PairCoverage":
        """For an index (index.Index): the recorded pairs and BM25's document frequencies, so
        loading reads no clause; an index without pairs.json is read clause by clause."""
        faq_texts: dict[int, list[str]] = {}
        if index.faq is not None:
            for row, i in zip(index.faq.question, index.faq.chunk):
                faq_texts.setdefault(int(i), []).append(index.faq.questions[row])
        texts = ClauseTexts(index.chunks)
        per_clause = _PerClause(faq_texts, len(texts))
        recorded = getattr(index, "pairs", None)
        if recorded is None:
            return cls(texts, per_clause)
        lexical, underscored = index.lexical.document_frequency, recorded.underscored

        def document_frequency(word: str) -> int:
            return underscored.get(word, 0) if "_" in word else lexical(word)

        return cls(texts, per_clause, document_frequency, recorded.known)

    def idf(self, word: str) -> float:
        """`word` folded."""
        f = self._df(word)
        return math.log(1 + self._n / f) if f else self._unseen_idf

    def _read(self, i: int) -> frozenset[Pair]:
        """Clause `i`'s pairs and those of its FAQ questions."""
        qs = self._faq[i] if i < len(self._faq) else ()
        return frozenset(_pairs(self._texts[i]).union(*(_pairs(q) for q in qs)))

    def _weighted(self, q: Query) -> list[tuple[Pair, float]]:
        ws = words(nfc(q.text).lower())
        out = []
        for a, b in zip(ws, ws[1:]):
            if fold(a) in QUESTION_WORDS and fold(b) in QUESTION_WORDS:
                continue
            weight = self.idf(fold(a)) + self.idf(fold(b))
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
            have = frozenset().union(*(self.pairs_of(int(i)) for i in g))
            out.append(sum(wt for p, wt in asked if p in have) / total)
        return out

    def unknown(self, q: Query) -> float:
        """The share of the question's pairs that no clause and no FAQ question holds."""
        asked = self._weighted(q)
        total = sum(wt for _, wt in asked)
        if not total:
            return 0.0
        return sum(wt for p, wt in asked if _joined(p) not in self._known) / total
