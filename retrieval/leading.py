"""Which clause leads the answer: a rule before a report, when both answer.

A resident asking "Tôi có được ra ngoài không?" needs the rule ("chỉ ra ngoài khi thật sự cần
thiết"), not the enforcement tally that shares more of the question's words ("Bước đầu đã xử
phạt 1.359 trường hợp vi phạm ra ngoài …"). So when the best clause reports (figures,
enforcement, praise: clause_kind) and a clause that states a rule is among those shown, clears
the abstention bar on its own and scores nearly as well, the rule goes first. A question that asks
for a count or about penalties ("bao nhiêu", "bị phạt không") is answered by the report, and is
left as ranked.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .clause_kind import kind
from .text import fold, words

# Asking for figures or sanctions, folded: reports answer these.
_ASKS_REPORT = re.compile(r"\b(?:bao nhieu|bn|may|so luong|thong ke|ket qua|phat|xu ly|xu phat)\b")


def asks_for_report(question: str) -> bool:
    return bool(_ASKS_REPORT.search(" ".join(words(fold(question)))))


@dataclass(frozen=True)
class RulesLead:
    # A rule may overtake a report whose fused score is at most this share of it higher. Set on
    # the gold dev split (195 answerable questions): 0 (off) R@1 0.856 MRR@10 0.906; 0.3 → 0.867
    # 0.911; 0.5 → 0.877 0.918; 1.0 → 0.872 0.915.
    margin: float = 0.5
    within: int = 3  # only the clauses the bot shows (the best and up to two more)

    def order(self, question: str, texts: Sequence[str], scores: Sequence[float],
              confident: Sequence[bool]) -> list[int]:
        """A permutation of the hits (indices, best first): the first rule within reach moved
        to the front when the best hit is a report; otherwise the order as it was."""
        n = len(texts)
        keep = list(range(n))
        if n < 2 or self.margin <= 0 or asks_for_report(question) or kind(texts[0]) != "report":
            return keep
        reach = self.margin * abs(scores[0])
        for j in range(1, min(self.within, n)):
            if confident[j] and scores[0] - scores[j] <= reach and kind(texts[j]) == "rule":
                return [j] + keep[:j] + keep[j + 1:]
        return keep
