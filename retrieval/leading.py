"""Which clause leads the answer: a rule before a report, when both answer.

A resident asking "Tôi có được ra ngoài không?" needs the rule ("chỉ ra ngoài khi thật sự cần
thiết"), not the enforcement tally that shares more of the question's words ("Bước đầu đã xử
phạt 1.359 trường hợp vi phạm ra ngoài …"). So when the best clause reports (figures,
enforcement, praise: clause_kind) and a clause that states a rule is among those shown, clears
the abstention bar on its own and scores nearly as well, the rule goes first. A question that asks
for a count or about penalties ("bao nhiêu", "bị phạt không") is answered by the report, and is
left as ranked.

A clause that gives only the place and date of signing (the dateline every official text carries:
"Ba Đình, ngày 31 tháng 7 năm 2021") answers when the document was issued and nothing else. Its
place name and shortness rank it high for any question naming the place ("Ba Đình giãn cách theo
chỉ thị nào?"), so unless the question asks when, it goes below the clauses that say something.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .clause_kind import kind
from .text import fold, nfc, words

# Asking for figures or sanctions, folded: reports answer these.
_ASKS_REPORT = re.compile(r"\b(?:bao nhieu|bn|may|so luong|thong ke|ket qua|phat|xu ly|xu phat)\b")


# Asking when (folded): issued, signed, in force from… ("ngày nào", "hôm nào", "ký ngày mấy").
_ASKS_WHEN = re.compile(r"\b(?:(?:ngay|hom|thang|nam|luc|khi|thoi diem|thoi gian) nao|bao gio|ngay may"
                        r"|thang may|hieu luc|tu ngay|den ngay|ky ngay|ban hanh ngay)\b")
# "<place>, ngày <d> tháng <m> năm <yyyy>": nothing before the comma but a place name.
_DATELINE = re.compile(r"^[^\d,.;:!?\"“”]{2,40}, ngày \d{1,2} tháng \d{1,2} năm \d{4}\.?$", re.IGNORECASE)


def asks_for_report(question: str) -> bool:
    return bool(_ASKS_REPORT.search(" ".join(words(fold(question)))))


def asks_when(question: str) -> bool:
    return bool(_ASKS_WHEN.search(" ".join(words(fold(question)))))


def is_dateline(text: str) -> bool:
    """The place and date of signing alone, as an official text's dateline gives them."""
    return bool(_DATELINE.match(" ".join(nfc(text).split())))


@dataclass(frozen=True)
class RulesLead:
    # A rule may overtake a report whose fused score is at most this share of it higher. Set on
    # the gold dev split (195 answerable questions): 0 (off) R@1 0.856 MRR@10 0.906; 0.3 → 0.867
    # 0.911; 0.5 → 0.877 0.918; 1.0 → 0.872 0.915.
    margin: float = 0.5
    within: int = 3  # only the clauses the bot shows (the best and up to two more)

    def order(self, question: str, texts: Sequence[str], scores: Sequence[float],
              confident: Sequence[bool]) -> list[int]:
        """A permutation of the hits (indices, best first): datelines last unless the question
        asks when, then the first rule within reach moved to the front when the best hit is a
        report; otherwise the order as it was."""
        keep = list(range(len(texts)))
        if not asks_when(question):
            dated = [is_dateline(t) for t in texts]
            keep = [i for i in keep if not dated[i]] + [i for i in keep if dated[i]]
        n, top = len(keep), keep[0] if keep else 0
        if n < 2 or self.margin <= 0 or asks_for_report(question) or kind(texts[top]) != "report":
            return keep
        reach = self.margin * abs(scores[top])
        for j in range(1, min(self.within, n)):
            i = keep[j]
            if confident[i] and scores[top] - scores[i] <= reach and kind(texts[i]) == "rule":
                return [i] + keep[:j] + keep[j + 1:]
        return keep
