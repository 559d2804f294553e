"""Hybrid retrieval: dense (e5) and lexical (folded BM25) scores fused per chunk.

Each side is standardised (z-scores) over the candidates both sides propose, then the two are
averaged: no per-corpus weight to tune (min-max scaling with a tuned weight won on the gold dev
split but lost to dense alone on ViCoV19QA; z-scores at equal weight are level with the best on
the first and above both single systems on the second). The raw cosine of the best chunk is kept
as well, because abstention needs an absolute signal.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from .answer_kind import asked_for, states
from .chunking import MAX_JOINED_CHARS, join, overlap
from .embedding import TextEmbedder
from .glossary import Glossary
from .index import Index
from .query import QUESTION_WORDS, Query, prepare
from .text import fold, words
from .types import Chunk, Hit

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Tuning:
    dense_weight: float = 0.5  # share of the dense side in the fused score
    expansion_weight: float = 0.5  # BM25 weight of the glossary's phrases, relative to the question's words
    candidates: int = 50  # per side, before fusion
    # Added to the fused z-score: the share of the question's words a clause holds (see coverage).
    # Breaks near-ties towards the clause that says what was asked; dev split: MRR@10 +0.016.
    coverage_boost: float = 0.5
    # Abstain unless cosine(best clause) + coverage_weight × coverage ≥ min_confidence, where
    # coverage is the IDF-weighted share of the question's words found in that clause. e5's
    # cosines are compressed (on- and off-topic overlap), and the words a question shares with
    # the clause separate the two far better. Both figures come from the dev split. The bar was
    # set to turn away 93% of dev's first 60 off-topic questions (a bar at exactly 90% of one
    # half turned away only 86% of the other half). On the enlarged dev (87 off-topic, 141
    # answerable, with the answer_kind check) it turns away 91% and wrongly refuses 6%; the
    # bar for exactly 90% there is 0.888, so it stands. A question asking for a figure no
    # clause gives is refused whatever its score (answer_kind).
    coverage_weight: float = 0.1
    min_confidence: float = 0.889
    min_coverage_lexical: float = 0.45  # lexical-only mode has no cosine: coverage alone, same rule
    # The FAQ (faq.py), when the index has one: a clause's best cosine and best BM25 score over the
    # residents' questions written for it, each standardised like the two sides above and added
    # at this weight (the 141 answerable dev questions of the time: R@3 0.894 → 0.965, MRR@10 0.826
    # → 0.909, any weight from 0.5 to 1.0 within 0.01; a held-out 54 then: 0.833 → 0.926, 0.732 → 0.886).
    faq_weight: float = 0.75
    # For abstention a clause's cosine is the higher of its own and its best FAQ question's less
    # this much: question-to-question cosines run higher than question-to-clause ones. Set on dev
    # (195 answerable, 113 off-topic) so the bar above still turns away over 90% of off-topic
    # questions: 91% turned away, 4% of answerable ones wrongly refused (0.04: 89% / 3.6%).
    faq_discount: float = 0.045


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


class Retriever:
    def __init__(self, index: Index, embedder: TextEmbedder | None, tuning: Tuning = Tuning(),
                 glossary: Glossary = Glossary()):
        self.index = index
        self.embedder = embedder
        self.tuning = tuning
        self.glossary = glossary.for_corpus(c.text for c in index.chunks)
        self._dates = np.array([_ord(index.sources[c.source_id].date) for c in index.chunks])
        self._vectors = index.dense.reconstruct_n(0, index.dense.ntotal)  # exact cosines for fusion
        self._words = [set(words(fold(c.text))) for c in index.chunks]
        df = Counter(w for ws in self._words for w in ws)
        n = len(index.chunks)
        self._idf = {w: math.log(1 + n / f) for w, f in df.items()}
        self._unseen_idf = math.log(1 + 2 * n)  # a word the corpus never uses is the most telling

    def prepare(self, question: str) -> Query:
        return prepare(question, self.index.accents, self.glossary)

    def search(self, question: str | Query, k: int = 5, mode: str = "hybrid",
               as_of: date | None = None) -> Result:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        q = question if isinstance(question, Query) else self.prepare(question)
        n = len(self.index.chunks)
        allowed = np.ones(n, dtype=bool) if as_of is None else self._dates <= as_of.toordinal()

        lex = self._lexical(q) if mode != "dense" else np.zeros(n, np.float32)
        cos = np.zeros(n, dtype=np.float32)
        asked = np.full(n, -np.inf, dtype=np.float32)  # best FAQ cosine (hybrid only)
        vec = None
        if mode != "lexical":
            vec = self.embedder.queries([q.dense_text])[0]
            cos = np.full(n, -np.inf, dtype=np.float32)  # filled for FAISS's nearest chunks only
            m = min(n, max(self.tuning.candidates * 4, k * 4))
            sims, ids = self.index.dense.search(vec[None, :].astype(np.float32), m)
            ok = ids[0] >= 0
            cos[ids[0][ok]] = sims[0][ok]
        cos = np.where(allowed, cos, -np.inf)
        lex = np.where(allowed, lex, -np.inf)
        if mode == "dense":
            fused = cos
        elif mode == "lexical":
            fused = lex
        else:
            fused, asked = self._fuse(q, cos, lex, vec)
        ranked = (i for i in np.argsort(-fused, kind="stable")
                  if np.isfinite(fused[i]) and (mode != "lexical" or lex[i] > 0))
        groups = self._distinct(ranked, k)
        covers = self.coverage(q, groups)
        kind = asked_for(q.text)
        passages = [self._passage(g) for g in groups]
        gives = [states(kind, p.text) for p in passages]
        close = np.maximum(cos, asked - self.tuning.faq_discount)
        on_topic = [not self._abstain(mode, True, float(close[g[0]]), covers[r]) for r, g in enumerate(groups)]
        hits = [Hit(p, float(fused[g[0]]), r + 1, on_topic[r] and gives[r])
                for r, (g, p) in enumerate(zip(groups, passages))]
        best_cos = float(cos[groups[0][0]]) if groups else -1.0
        best_lex = float(lex[allowed].max()) if allowed.any() else 0.0
        cover = covers[0] if groups else 0.0
        missing = kind if hits and on_topic[0] and not gives[0] else None
        best_faq = float(asked[groups[0][0]]) if groups and np.isfinite(asked[groups[0][0]]) else None
        return Result(q, hits, best_cos, best_lex, cover, not hits or not hits[0].confident, missing, best_faq)

    def _lexical(self, q: Query) -> np.ndarray:
        scores = self.index.lexical.scores(q.text)
        if q.expansion:
            scores = scores + self.tuning.expansion_weight * self.index.lexical.scores(" ".join(q.expansion))
        return scores

    def coverage(self, q: Query, chunks: list[int] | list[list[int]]) -> list[float]:
        """For each chunk (or passage of joined chunks), the IDF-weighted share of the question's
        words it contains.

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

    def _distinct(self, ranked, k: int) -> list[list[int]]:
        """One place, one result: a window overlapping a better-ranked hit is skipped, except right
        behind it (before any other clause), where it extends that hit into one passage of at most
        MAX_JOINED_CHARS. Otherwise the clause a question is about can hide behind a neighbouring
        window that shares half its text but not the sentence asked about."""
        chunks, groups = self.index.chunks, []
        for i in ranked:
            c = chunks[i]
            near = [g for g in groups if any(overlap(chunks[j], c) for j in g)]
            if not near:
                if len(groups) == k:
                    break
                groups.append([i])
            elif near == [groups[-1]]:
                g = groups[-1] + [i]
                if max(chunks[j].end for j in g) - min(chunks[j].start for j in g) <= MAX_JOINED_CHARS:
                    groups[-1] = g
        return groups

    def _passage(self, group: list[int]) -> Chunk:
        chunks = [self.index.chunks[i] for i in group]
        return chunks[0] if len(chunks) == 1 else join(chunks, self.index.texts[chunks[0].source_id])

    def _fuse(self, q: Query, cos: np.ndarray, lex: np.ndarray,
              vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fused scores, and each clause's best FAQ cosine (-inf where it has no FAQ question)."""
        t, faq, n = self.tuning, self.index.faq, len(cos)
        c = t.candidates
        cand = np.union1d(np.argsort(-cos)[:c], np.argsort(-lex)[:c])
        asked = np.full(n, -np.inf, dtype=np.float32)
        if faq:
            asked = faq.per_chunk(faq.vectors @ vec, n, -np.inf)
            asked_lex = faq.per_chunk(faq.lexical.scores(q.text), n, 0.0)
            cand = np.union1d(cand, np.union1d(np.argsort(-asked)[:c], np.argsort(-asked_lex)[:c]))
        cand = cand[np.isfinite(lex[cand])]  # only chunks in force on the day asked about
        unscored = cand[np.isneginf(cos[cand])]  # candidates beyond FAISS's nearest
        cos[unscored] = self._vectors[unscored] @ vec  # in place: the caller reads them too
        fused = np.full(n, -np.inf, dtype=np.float32)
        if not cand.size:
            return fused, asked
        fused[cand] = (t.dense_weight * _standardise(cos[cand]) + (1 - t.dense_weight) * _standardise(lex[cand])
                       + t.coverage_boost * np.array(self.coverage(q, list(cand)), dtype=np.float32))
        if faq:  # a clause without FAQ questions stands in with its own cosine
            dense_asked = np.where(np.isfinite(asked[cand]), asked[cand], cos[cand])
            fused[cand] += t.faq_weight * (_standardise(dense_asked) + _standardise(asked_lex[cand]))
        return fused, asked

    def _abstain(self, mode: str, found: bool, best_cos: float, cover: float) -> bool:
        t = self.tuning
        if not found:
            return True
        if mode == "lexical":
            return cover < t.min_coverage_lexical
        return best_cos + t.coverage_weight * cover < t.min_confidence


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return np.zeros_like(x) if sd < 1e-9 else (x - x.mean()) / sd


def _ord(d: date | None) -> int:
    return d.toordinal() if d else 0
