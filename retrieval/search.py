"""Hybrid retrieval: one question in, ranked passages and an abstention decision out.

The steps each live in their own module: the sides' scores (candidates), fusion, word coverage,
distinct passages, what the question is about (subject), abstention, the figure check
(answer_kind), the thing named by number (numbered), and which clause leads (leading). The raw
cosine of the best clause is kept as well, because abstention needs an absolute signal.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import candidates
from .abstention import Abstention
from .answer_kind import asked_for, states
from .coverage import ClauseTexts, WordCoverage
from .embedding import TextEmbedder
from .fusion import Ranking, fuse
from .glossary import Glossary
from .index import Index
from .leading import RulesLead
from .numbered import as_said
from .pairs import PairCoverage
from .passages import distinct, passage
from .query import Query, prepare
from .smalltalk import small_talk_kind
from .sparse import Sparse, ranked
from .subject import SubjectCoverage
from .types import Hit

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Result:
    query: Query
    hits: list[Hit]
    best_cosine: float
    best_lexical: float
    coverage: float
    abstained: bool
    missing: str | None = None  # the figure asked for (answer_kind) that an on-topic best clause lacks
    best_faq_cosine: float | None = None  # the best clause's closest FAQ question, if it has any
    margin: float | None = None  # the best clause's distance above (≥ 0) or below the abstention bar
    unknown: float = 0.0  # the share of the question's words the documents never use (subject.py)
    small_talk: str | None = None  # the kind of small talk the message is (smalltalk.py): abstained
    pairs: float = 0.0  # the share of the question's word pairs the best clause holds (pairs.py)
    unknown_pairs: float = 0.0  # the share of its word pairs the documents never use
    # ("mũi 3", "mũi 2"): what was asked, and what the best clause names instead (numbered.py)
    other: tuple[str, str] | None = None


# A document whose FAQ lines cover at least this share of its clauses was written for as a whole
# (the shipped ones: 88-100%), so a clause of it without lines was passed over; below it (a
# document officials added: none, or a few lines added from reviewed questions) absence says
# nothing (fusion.fuse).
FAQ_COVERED = 0.5


def faq_less(chunks, has_faq: frozenset[int]) -> np.ndarray:
    """Per clause: whether its document's FAQ lines cover less than FAQ_COVERED of its clauses."""
    total, covered = Counter(c.source_id for c in chunks), Counter(chunks[i].source_id for i in has_faq)
    sparse = {sid for sid, n in total.items() if covered[sid] < FAQ_COVERED * n}
    return np.array([c.source_id in sparse for c in chunks], dtype=bool)


class Retriever:
    def __init__(self, index: Index, embedder: TextEmbedder | None, ranking: Ranking = Ranking(),
                 abstention: Abstention = Abstention(), glossary: Glossary = Glossary()):
        self.index = index
        self.embedder = embedder
        self.ranking = ranking
        self.abstention = abstention
        self.glossary = glossary.for_words(index.words) if index.words is not None \
            else glossary.for_corpus(c.text for c in index.chunks)
        self._dates = np.array([_ord(index.sources[c.source_id].date) for c in index.chunks])
        self.coverage = WordCoverage(ClauseTexts(index.chunks), index.lexical.document_frequency)
        self.subject = SubjectCoverage.of_index(index)
        self.pairs = PairCoverage.of_index(index)
        # which bar a clause is held to (abstention): whether residents' questions were written for it
        self._has_faq = frozenset(int(i) for i in index.faq.chunk) if index.faq is not None else frozenset()
        self._faq_less = faq_less(index.chunks, self._has_faq)

    def prepare(self, question: str) -> Query:
        return prepare(question, self.index.accents, self.glossary)

    def search(self, question: str | Query, k: int = 5, mode: str = "hybrid",
               as_of: date | None = None) -> Result:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        q = question if isinstance(question, Query) else self.prepare(question)
        s = self._scores(q, k, mode, as_of)
        chunks = self.index.chunks
        groups = distinct(ranked(s.cand, s.fused, first=4 * k), chunks, k)
        if not groups:
            return Result(q, [], -1.0, s.best_lexical, 0.0, True)
        covers = self.subject.coverage(q, groups)
        unknown = self.subject.unknown(q)
        pairs = self.pairs.coverage(q, groups)
        unknown_pairs = self.pairs.unknown(q)
        kind = asked_for(q.text)
        passages = [passage(g, chunks, self.index.texts) for g in groups]
        gives = [states(kind, p.text) for p in passages]
        head = [s.slot(g[0]) for g in groups]  # each passage's first clause among the candidates
        close = self.abstention.closeness(s.cos, s.asked)
        margins = [self.abstention.margin(mode, float(close[h]), covers[r], unknown, pairs[r],
                                          unknown_pairs, int(groups[r][0]) in self._has_faq)
                   for r, h in enumerate(head)]
        talk = small_talk_kind(q.text)  # "cảm ơn", "bạn là ai": never answered with a clause
        # a clause naming what was asked only by other numbers ("mũi 2" for "mũi 3") is about another
        # one; its document's title and number count (a clause of "Chỉ thị 08" may name only others)
        other = [as_said(q.text, self._named_text(p)) for p in passages]
        confident = [m >= 0 and gv and not talk and o is None for m, gv, o in zip(margins, gives, other)]
        scores = [float(s.fused[h]) for h in head]
        order = list(range(len(groups)))
        if mode == "hybrid":
            order = RulesLead(self.ranking.rule_margin).order(
                q.text, [p.text for p in passages], scores, confident)
        hits = [Hit(passages[i], scores[i], r + 1, confident[i]) for r, i in enumerate(order)]
        t = order[0]
        top = head[t]
        return Result(
            q, hits, float(s.cos[top]), s.best_lexical, covers[t],
            not confident[t], kind if margins[t] >= 0 and not gives[t] else None,
            float(s.asked[top]) if np.isfinite(s.asked[top]) else None, margins[t], unknown, talk,
            pairs[t], unknown_pairs, other[t])

    def _named_text(self, p) -> str:
        src = self.index.sources.get(p.source_id)
        return f"{src.title}. {src.number or ''}. {p.text}" if src else p.text

    def _allowed(self, ids: np.ndarray, as_of: date | None) -> np.ndarray:
        """Which of these clauses are in force on `as_of` (all when None)."""
        if as_of is None:
            return np.ones(len(ids), dtype=bool)
        return self._dates[ids] <= as_of.toordinal()

    def _in_force(self, side: Sparse, as_of: date | None) -> Sparse:
        return side if as_of is None else side.where(self._allowed(side.ids, as_of))

    def model_texts(self, q: Query, mode: str = "hybrid") -> list[str]:
        """What the model reads for this question, in one batch: the restored (and expanded)
        text, and for a question typed without diacritics in the hybrid search, the text as typed
        (Ranking.typed_weight)."""
        if mode != "hybrid" or not self.ranking.typed_weight or q.had_diacritics or q.text == q.dense_text:
            return [q.dense_text]
        return [q.dense_text, q.text]

    def _vectors(self, q: Query, mode: str) -> tuple[np.ndarray, np.ndarray]:
        """What ranks and what is judged: the restored text's embedding, or with a typed reading
        (model_texts) the sum at Ranking.typed_weight to rank. Abstention keeps reading the
        restored text's cosines: its bars were set on them, and the sum runs closer to every
        clause (dev without FAQ: near misses turned away 0.838 → 0.691 when it judged too)."""
        vecs = self.embedder.queries(self.model_texts(q, mode))
        restored = vecs[0]
        if len(vecs) == 1:
            return restored, restored  # one object: _scores then reads its cosines once
        mixed = restored + self.ranking.typed_weight * vecs[1]
        return (mixed / max(float(np.linalg.norm(mixed)), 1e-12)).astype(np.float32), restored

    def _scores(self, q: Query, k: int, mode: str, as_of: date | None) -> "_Scores":
        """The candidates (clauses in force on `as_of`) and their scores. Only clauses some side
        brings up are scored, so above PADDED_UP_TO clauses the work per question does not grow
        with the corpus, but for BM25's sum over the postings of the question's words
        (candidates.lexical)."""
        r = self.ranking
        lex = self._in_force(candidates.lexical(self.index.lexical, q, r.expansion_weight), as_of) \
            if mode != "dense" else Sparse.empty()
        if mode == "lexical":
            cand = lex.ids
            none = np.full(len(cand), -np.inf, np.float32)
            return _Scores(cand, np.zeros(len(cand), np.float32), lex, none, lex.values)
        vec, judged = self._vectors(q, mode)
        dense = self._in_force(candidates.dense(self.index, vec, max(r.candidates * 4, k * 4)), as_of)
        if mode == "dense":
            return _Scores(dense.ids, dense.values, lex, np.full(len(dense), -np.inf, np.float32), dense.values)
        sides = [dense, lex]
        asked = asked_lex = None
        if self.index.faq:
            asked, asked_lex = candidates.faq(self.index.faq, vec, q)
            sides += [asked, asked_lex]
        n = len(self.index.chunks)
        if n <= candidates.PADDED_UP_TO:  # each side sorted whole, as the shipped rankings were tuned with
            allowed = None if as_of is None else self._dates <= as_of.toordinal()
            sides = [candidates.padded(dense, n, -np.inf, allowed), candidates.padded(lex, n, 0.0, allowed)]
            if asked is not None:  # the FAQ's sides are not limited to clauses in force (filtered below)
                sides += [candidates.padded(asked, n, -np.inf), candidates.padded(asked_lex, n, 0.0)]
        cand = candidates.pool(r.candidates, *sides)
        sections = self.index.sections if r.section_weight else None
        if sections is not None:
            by_section = candidates.sections(sections, vec, q, r.expansion_weight, r.candidates)
            # the clauses of the best sections, so a section strong as a whole is fused even when
            # none of its windows is a candidate on its own
            cand = np.union1d(cand, sections.clauses_of(by_section.best))
        cand = cand[self._allowed(cand, as_of)]  # the other sides may bring up clauses not in force
        cos = candidates.cosines(dense, self.index, vec, cand)
        coverage = np.array(self.coverage.of(q, list(cand)), dtype=np.float32)
        section_cos = section_lex = None
        if sections is not None:  # each candidate's section, scored whole
            of, where = np.unique(sections.of_chunk[cand], return_inverse=True)
            section_cos, section_lex = by_section.cosine(of)[where], by_section.bm25(of)[where]
        no_faq = np.full(len(cand), -np.inf, np.float32)
        asked_c = no_faq if asked is None else asked.at(cand, -np.inf)
        fused = fuse(len(cand), np.arange(len(cand)), cos, lex.at(cand, 0.0), coverage, r,
                     None if asked is None else asked_c, None if asked is None else asked_lex.at(cand, 0.0),
                     section_cos, section_lex, self._faq_less[cand])
        if judged is not vec:  # abstention reads the restored text's closeness (see _vectors)
            cos = self.index.dense.reconstruct_batch(cand) @ judged
            if asked is not None:
                asked_c = self.index.faq.per_chunk(self.index.faq.vectors @ judged).at(cand, -np.inf)
        return _Scores(cand, cos, lex, asked_c, fused)


@dataclass(frozen=True)
class _Scores:
    """Per candidate (`cand`, ascending clause positions): cosine, best FAQ cosine and fused score;
    and the lexical side as it scored the clauses in force (for the best lexical score)."""

    cand: np.ndarray
    cos: np.ndarray
    lex: Sparse
    asked: np.ndarray
    fused: np.ndarray

    def slot(self, i: int) -> int:
        """Where clause `i` sits among the candidates."""
        return int(np.searchsorted(self.cand, i))

    @property
    def best_lexical(self) -> float:
        return float(self.lex.values.max()) if len(self.lex) else 0.0


def _ord(d: date | None) -> int:
    return d.toordinal() if d else 0
