"""Whether a clause is close enough to the question, and about the same thing, to be given as an answer."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class OwnBar:
    """The bar for a clause no resident's question was written for (a newly added document: no
    FAQ, no glossary). Its only closeness is its own cosine, which runs lower than a question's
    cosine to a like question, and its words are only the document's, so the FAQ bar refused 47%
    of answerable dev questions on an index without FAQ. Set on that index (dev split): 13% of
    answerable questions refused, 92% of unanswerable ones (87% of near misses) turned away.
    No unknown-word terms: without residents' questions, residents' words are unknown even when
    the clause answers them."""
    coverage_weight: float = 0.075
    pair_weight: float = 0.1
    min_confidence: float = 0.88


@dataclass(frozen=True)
class Abstention:
    # Answer only when
    #     closeness + coverage_weight × coverage − unknown_weight × unknown
    #       + pair_weight × pairs − unknown_pair_weight × unknown_pairs ≥ min_confidence,
    # where closeness is e5's cosine (below), coverage the IDF-weighted share of the question's
    # words found in the clause or in the residents' questions written for it, unknown the share
    # the documents never use at all (subject.py), and pairs / unknown_pairs the same for the
    # question's adjacent word pairs (pairs.py: "mũi 3", "cắt tóc"). e5's cosines are compressed:
    # a near miss ("tiệm cắt tóc có được mở cửa không?") shares the frame of a real question and
    # scores as high; its subject is what gives it away, and a subject is a phrase more often
    # than a word. Set on the dev split only (195 answerable, 113 off-topic, 68 near misses; see
    # reports/honest-answers.md). A clause with no FAQ questions is judged by `own` instead. A
    # question asking for a figure no clause gives is refused whatever its score (answer_kind).
    coverage_weight: float = 0.025
    unknown_weight: float = 0.1
    pair_weight: float = 0.075
    unknown_pair_weight: float = 0.05
    min_confidence: float = 0.8475
    own: OwnBar = field(default_factory=OwnBar)
    min_coverage_lexical: float = 0.45  # lexical-only mode has no cosine: coverage alone
    # A clause's closeness is the higher of its own cosine and its best FAQ question's less this
    # much: question-to-question cosines run higher than question-to-clause ones.
    faq_discount: float = 0.045

    def closeness(self, cos: np.ndarray, asked: np.ndarray) -> np.ndarray:
        """Per clause: its own cosine, or its closest FAQ question's less the discount."""
        return np.maximum(cos, asked - self.faq_discount)

    def margin(self, mode: str, closeness: float, coverage: float, unknown: float = 0.0,
               pairs: float = 0.0, unknown_pairs: float = 0.0, faq: bool = True) -> float:
        """How far above (≥ 0) or below (< 0) the bar a clause is; `faq`: whether residents'
        questions were written for it."""
        if mode == "lexical":
            return coverage - self.min_coverage_lexical
        if not faq:
            o = self.own
            return closeness + o.coverage_weight * coverage + o.pair_weight * pairs - o.min_confidence
        return (closeness + self.coverage_weight * coverage - self.unknown_weight * unknown
                + self.pair_weight * pairs - self.unknown_pair_weight * unknown_pairs
                - self.min_confidence)

    def on_topic(self, mode: str, closeness: float, coverage: float, unknown: float = 0.0,
                 pairs: float = 0.0, unknown_pairs: float = 0.0, faq: bool = True) -> bool:
        return self.margin(mode, closeness, coverage, unknown, pairs, unknown_pairs, faq) >= 0
