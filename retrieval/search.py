"""Hybrid retrieval: one question in, ranked passages and an abstention decision out.

The steps each live in their own module: the sides' scores (candidates), fusion, word coverage,
distinct passages, what the question is about (subject), abstention, the figure check
(answer_kind), and which clause leads (leading). The raw cosine of the best
clause is kept as well, because abstention needs an absolute signal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from . import candidates
from .abstention import Abstention
from .answer_kind import asked_for, states
from .coverage import WordCoverage
from .embedding import Embedder
from .fusion import Ranking, fuse
from .glossary import Glossary
from .index import Index
from .leading import RulesLead
from .pairs import PairCoverage
from .passages import distinct, passage
from .query import Query, prepare
from .smalltalk import small_talk_kind
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


class Retriever:
    def __init__(self, index: Index, embedder: Embedder | None, ranking: Ranking = Ranking(),
                 abstention: Abstention = Abstention(), glossary: Glossary = Glossary()):
        self.index = index
        self.embedder = embedder
        self.ranking = ranking
        self.abstention = abstention
        self.glossary = glossary.for_corpus(c.text for c in index.chunks)
        self._dates = np.array([_ord(index.sources[c.source_id].date) for c in index.chunks])
        self._vectors = index.dense.reconstruct_n(0, index.dense.ntotal)  # exact cosines for fusion
        self.coverage = WordCoverage([c.text for c in index.chunks])
        faq_texts: list[list[str]] = [[] for _ in index.chunks]
        if index.faq is not None:
            for row, i in zip(index.faq.question, index.faq.chunk):
                faq_texts[i].append(index.faq.questions[row])
        self.subject = SubjectCoverage([c.text for c in index.chunks], faq_texts)
        self.pairs = PairCoverage([c.text for c in index.chunks], faq_texts)
        self._has_faq = [bool(qs) for qs in faq_texts]  # which bar a clause is held to (abstention)

    def prepare(self, question: str) -> Query:
        return prepare(question, self.index.accents, self.glossary)

    def search(self, question: str | Query, k: int = 5, mode: str = "hybrid",
               as_of: date | None = None) -> Result:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        q = question if isinstance(question, Query) else self.prepare(question)
        cos, lex, asked, fused = self._scores(q, k, mode, as_of)
        ranked = (i for i in np.argsort(-fused, kind="stable")
                  if np.isfinite(fused[i]) and (mode != "lexical" or lex[i] > 0))
        chunks = self.index.chunks
        groups = distinct(ranked, chunks, k)
        if not groups:
            best_lex = float(lex[np.isfinite(lex)].max()) if np.isfinite(lex).any() else 0.0
            return Result(q, [], -1.0, best_lex, 0.0, True)
        covers = self.subject.coverage(q, groups)
        unknown = self.subject.unknown(q)
        pairs = self.pairs.coverage(q, groups)
        unknown_pairs = self.pairs.unknown(q)
        kind = asked_for(q.text)
        passages = [passage(g, chunks, self.index.texts) for g in groups]
        gives = [states(kind, p.text) for p in passages]
        close = self.abstention.closeness(cos, asked)
        margins = [self.abstention.margin(mode, float(close[g[0]]), covers[r], unknown, pairs[r],
                                          unknown_pairs, self._has_faq[g[0]])
                   for r, g in enumerate(groups)]
        talk = small_talk_kind(q.text)  # "cảm ơn", "bạn là ai": never answered with a clause
        confident = [m >= 0 and gv and not talk for m, gv in zip(margins, gives)]
        scores = [float(fused[g[0]]) for g in groups]
        order = list(range(len(groups)))
        if mode == "hybrid":
            order = RulesLead(self.ranking.rule_margin).order(
                q.text, [p.text for p in passages], scores, confident)
        hits = [Hit(passages[i], scores[i], r + 1, confident[i]) for r, i in enumerate(order)]
        t = order[0]
        top = groups[t][0]
        allowed = np.isfinite(lex)
        return Result(
            q, hits, float(cos[top]), float(lex[allowed].max()) if allowed.any() else 0.0, covers[t],
            not confident[t], kind if margins[t] >= 0 and not gives[t] else None,
            float(asked[top]) if np.isfinite(asked[top]) else None, margins[t], unknown, talk,
            pairs[t], unknown_pairs)

    def _scores(self, q: Query, k: int, mode: str, as_of: date | None):
        """(cosines, lexical scores, best FAQ cosines, fused scores) per clause; clauses not in
        force on `as_of` get -inf everywhere."""
        n, r = len(self.index.chunks), self.ranking
        allowed = np.ones(n, dtype=bool) if as_of is None else self._dates <= as_of.toordinal()
        lex = candidates.lexical(self.index.lexical, q, r.expansion_weight) if mode != "dense" \
            else np.zeros(n, np.float32)
        lex = np.where(allowed, lex, -np.inf)
        asked = np.full(n, -np.inf, dtype=np.float32)
        if mode == "lexical":
            return np.where(allowed, np.zeros(n, np.float32), -np.inf), lex, asked, lex
        vec = self.embedder.queries([q.dense_text])[0]
        cos = np.where(allowed, candidates.dense(self.index, vec, max(r.candidates * 4, k * 4)), -np.inf)
        if mode == "dense":
            return cos, lex, asked, cos
        sides = [cos, lex]
        asked_lex = None
        if self.index.faq:
            asked, asked_lex = candidates.faq(self.index.faq, vec, q, n)
            sides += [asked, asked_lex]
        cand = candidates.pool(r.candidates, *sides)
        section_cos = section_lex = None
        if self.index.sections is not None and r.section_weight:
            of = self.index.sections.of_chunk
            scos, slex = candidates.sections(self.index.sections, vec, q, r.expansion_weight)
            cand = np.union1d(cand, candidates.in_best_sections(of, r.candidates, scos, slex))
            section_cos, section_lex = scos[of], slex[of]
        cand = cand[np.isfinite(lex[cand])]  # only clauses in force on the day asked about
        cos = candidates.fill_cosines(cos, self._vectors, vec, cand)
        coverage = np.array(self.coverage.of(q, list(cand)), dtype=np.float32)
        fused = fuse(n, cand, cos, lex, coverage, r, asked if self.index.faq else None, asked_lex,
                     section_cos, section_lex)
        return cos, lex, asked, fused


def _ord(d: date | None) -> int:
    return d.toordinal() if d else 0
