"""Questions that ask for a figure, and whether a clause states one.

"Không đeo khẩu trang bị phạt bao nhiêu tiền?" is not answered by a clause about fines that
names no sum, however close its words: quoting it would look like an answer to a resident. So a
question asking for an amount of money or a length of time is answered only by a clause that
states one (a length of time may be said without a number: "hằng ngày", "ngay lập tức"). Only
these two kinds are checked, because both the asking ("bao nhiêu tiền", "mấy ngày", "bao lâu")
and the stating ("15 ngày", "500.000 đồng") are recognisable from the words alone; every other
question passes. Matching is on folded words, so chat spellings work too.
"""
from __future__ import annotations

import re

from .text import fold, words

MONEY = "money"
DURATION = "duration"

_HOW_MUCH = r"(?:bao nhieu|bn)"
_UNIT = r"(?:ngay|tuan|thang|nam)"
_NUMBER = r"(?:\d[\d.,]*|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|muoi lam|hai muoi)"

_ASKS = {
    MONEY: re.compile(
        rf"\b(?:{_HOW_MUCH}|may|nhieu) tien\b"  # bao nhiêu tiền, mấy tiền
        rf"|\b(?:tien|gia|phi|muc phat)(?: \w+){{0,3}} {_HOW_MUCH}\b"  # giá … bao nhiêu
        rf"|\bphat {_HOW_MUCH}$"),  # bị phạt bao nhiêu
    # "mấy tháng nay", "mấy ngày qua" mean "lately", not "for how long"
    DURATION: re.compile(rf"\bbao lau\b|\b(?:may|{_HOW_MUCH}) {_UNIT}\b(?! (?:nay|qua|truoc|vua roi))"),
}
_STATES = {
    MONEY: re.compile(r"\b\d[\d.,]* ?(?:dong|d|trieu|ty|nghin|ngan|vnd|usd)\b|\b(?:trieu|ty|nghin|ngan) dong\b"),
    # "bao lâu" is answered by a number of days, but also by "báo cáo từng phút", "hằng ngày",
    # "trả kết quả trong thời gian ngắn nhất" (dev q351 was refused for lacking a number).
    DURATION: re.compile(rf"\b{_NUMBER} (?:{_UNIT}|gio|tieng|phut)\b|\btung (?:gio|phut|ngay)\b"
                         r"|\b(?:hang|moi) (?:ngay|tuan|thang)\b|\bngay lap tuc\b"
                         r"|\btrong thoi gian (?:ngan|som) nhat\b"),
}


def _folded(text: str) -> str:
    return " ".join(words(fold(text)))


def asked_for(question: str) -> str | None:
    """MONEY or DURATION when the question asks for that figure; None otherwise."""
    text = _folded(question)
    return next((kind for kind, pattern in _ASKS.items() if pattern.search(text)), None)


def states(kind: str | None, clause: str) -> bool:
    """Whether the clause gives a figure of that kind (always true for no kind)."""
    return kind is None or bool(_STATES[kind].search(_folded(clause)))
