"""Fuse the sides' scores over a candidate pool: z-scores, averaged, plus small boosts.

Each side is standardised (z-scores) over the candidates both sides propose, then the two are
averaged: no per-corpus weight to tune (min-max scaling with a tuned weight won on the gold dev
split but lost to dense alone on ViCoV19QA; z-scores at equal weight are level with the best on
the first and above both single systems on the second).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ranking:
    """How clauses are ranked; abstention has its own settings (abstention.Abstention)."""

    dense_weight: float = 0.5  # share of the dense side in the fused score
    expansion_weight: float = 0.5  # BM25 weight of the glossary's phrases, relative to the question's words
    candidates: int = 50  # per side, before fusion
    # Added to the fused z-score: the share of the question's words a clause holds (coverage.py).
    # Breaks near-ties towards the clause that says what was asked; dev split: MRR@10 +0.016.
    coverage_boost: float = 0.5
    # The FAQ (faq.py), when the index has one: a clause's best cosine and best BM25 score over the
    # residents' questions written for it, each standardised like the two sides above and added
    # at this weight (the 141 answerable dev questions of the time: R@3 0.894 → 0.965, MRR@10 0.826
    # → 0.909, any weight from 0.5 to 1.0 within 0.01; a held-out 54 then: 0.833 → 0.926, 0.732 → 0.886).
    faq_weight: float = 0.75
    # Each clause's section (sections.py: the whole document when the model reads it whole, else
    # the paragraph) scored whole on both sides, standardised and balanced like the clauses' own
    # scores, and added at this weight: evidence spread over a long passage counts.
    section_weight: float = 0.0
    # When the best clause is a report and a rule among those shown scores within this share of
    # it, the rule leads (leading.RulesLead; 0: off).
    rule_margin: float = 0.5
    # A question typed without diacritics is also embedded as typed (no restored accents, no
    # glossary phrases) and that vector added at this weight to the restored one's: where the
    # restorer guessed a word wrong the typed one still holds it, and it reads like the FAQ's own
    # unaccented questions. It ranks only; abstention reads the restored text's cosines as before
    # (search.Retriever._vectors). Dev split: R@1 0.882 → 0.897, MRR@10 0.920 → 0.928, abstention
    # unchanged (weight 1.0, the typed vector on the FAQ side only, the FAQ's own questions read
    # the same way: no better; reports/honest-answers.md, third pass). Test: R@1 0.893 unchanged.
    # Hybrid search only: for the dense model alone it does not help (dev MRR@10 0.605 → 0.580).
    # Both texts go through the model as one batch of two: +2.3 ms p50 (0: off).
    typed_weight: float = 0.5


def standardise(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return np.zeros_like(x) if sd < 1e-9 else (x - x.mean()) / sd


def standardise_among(x: np.ndarray, among: np.ndarray) -> np.ndarray:
    """z-scores of x[among] over those entries alone; 0 elsewhere."""
    out = np.zeros(len(x), dtype=np.float32)
    if among.any():
        out[among] = standardise(x[among])
    return out


def fuse(n: int, cand: np.ndarray, cos: np.ndarray, lex: np.ndarray, coverage: np.ndarray,
         ranking: Ranking, asked: np.ndarray | None = None, asked_lex: np.ndarray | None = None,
         section_cos: np.ndarray | None = None, section_lex: np.ndarray | None = None,
         faq_less: np.ndarray | None = None) -> np.ndarray:
    """Fused scores for the `cand` clauses (a new array of length n, -inf elsewhere).

    `cos`, `lex` (the FAQ's `asked`, `asked_lex`, and the clause's section's `section_cos`,
    `section_lex`) are per-clause arrays; `coverage` holds one value per candidate. A clause
    without FAQ questions has `asked` -inf; `faq_less` (per clause) marks the clauses of documents
    the FAQ does not cover, which stand in with their own scores."""
    fused = np.full(n, -np.inf, dtype=np.float32)
    if not cand.size:
        return fused
    w = ranking.dense_weight
    fused[cand] = (w * standardise(cos[cand]) + (1 - w) * standardise(lex[cand])
                   + ranking.coverage_boost * coverage)
    if asked is not None:
        # Residents' questions are evidence where they were written. In a document they cover, a
        # clause without any stands in with its own cosine and a BM25 of 0, as tuned: the writers
        # passed it over. In a document they do not cover (one officials added: search.FAQ_COVERED)
        # that says nothing, so its clauses stand in with their own two z-scores, and the others
        # are standardised among themselves. With a BM25 of 0 they sank below every clause that has questions: with one
        # document's FAQ left out (dev split, each of the five in turn; `rulebot eval
        # --new-document`) R@1 0.195 → 0.629, MRR@10 0.302 → 0.724, wrongly abstained 0.312 → 0.171.
        # Judged clause by clause instead (every clause without questions standing in): 0.624 there,
        # and on the shipped index dev R@1 +0.006, off-topic abstention −0.005, test R@3 −0.024.
        has = np.ones(len(cand), dtype=bool) if faq_less is None else ~faq_less[cand]
        dense_asked = np.where(np.isfinite(asked[cand]), asked[cand], cos[cand])
        faq = standardise_among(dense_asked, has) + standardise_among(asked_lex[cand], has)
        own = standardise(cos[cand]) + standardise(lex[cand])
        fused[cand] += ranking.faq_weight * np.where(has, faq, own)
    if section_cos is not None and ranking.section_weight:
        fused[cand] += ranking.section_weight * (w * standardise(section_cos[cand])
                                                 + (1 - w) * standardise(section_lex[cand]))
    return fused
