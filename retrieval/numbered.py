"""Which one a question names by number, and whether a clause speaks of another one.

In Vietnamese a number after a noun says which one ("mũi 3", the third dose; "Chỉ thị 16";
"cấp độ 4"; "tầng 1"), while a number before a noun says how many ("3 mũi", "14 ngày"). A clause
that names the same thing only with other numbers ("tiêm chủng mũi 2") is about another one, however
close its words: quoting it to "Tiêm mũi 3 ở đâu?" would answer a question that was not asked.
So such a clause is not given as an answer. The check reads words only, as answer_kind does, and
knows nothing of the documents: a new document gets it as it is.

Only nouns that Vietnamese numbers to name one of a series count (`NAMING`: doses, legal
instruments and their articles, levels, tiers, school years, wards, waves, F0/F1…). Without a
part-of-speech tagger, "any word before a number" also read "dưới 100" (below 100) and "đặt 4
stent" (four stents) as names; on ViCoV19QA that refused two answers that were right. Left out
as well: a number followed by a unit or a counted noun ("mũi 2 ngày", "cấp 3 người"), and a
number joined to another ("23/7/2021", "1.359": dates and figures). A question typed without
diacritics has its units read folded ("ngay" is then "ngày"); a clause's are read as written
("mũi 2 ngay khi…").
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .text import fold, words

# after a number these make it a quantity, not a name ("14 ngày", "1 mũi", "500 nghìn đồng",
# "789 tổ công tác", "29 chốt"): units of time, money and measure, and the usual counted nouns
# and classifiers (first syllable: "trường hợp", "cơ sở", "lực lượng")
_UNITS = frozenset("ngày tháng năm tuần giờ tiếng phút giây tuổi người lần mũi liều ca "
                   "triệu tỷ tỉ nghìn ngàn trăm đồng kg km tấn "
                   "tổ đội chốt điểm trường cơ hộ gia bệnh lực lớp cấp khu cụm xe chiếc cái con bộ".split())
_FOLDED_UNITS = frozenset(fold(u) for u in _UNITS)
_BETWEEN = frozenset({"so", "thu"})  # "Chỉ thị số 17", "mũi thứ 3"
# nouns a number after names one of a series: general Vietnamese, nothing taken from the documents
NAMING = frozenset(tuple(fold(n).split()) for n in (
    "mũi|liều|đợt|lần|chỉ thị|nghị quyết|nghị định|quyết định|công văn|thông tư|luật|điều|khoản|"
    "chương|mục|phụ lục|cấp|cấp độ|mức|mức độ|tầng|lớp|khối|quận|phường|tổ|khu|vùng|giai đoạn|"
    "phase|type|tuýp|tip|f").split("|"))
_F = re.compile(r"\bf(\d)\b")  # "F0", "F1": the letter names the group
_FIGURE = re.compile(r"\d+(?:[.,/:]\d+)+")  # "23/7/2021", "1.359", "7:30": dates and figures
_STOP = re.compile(r"[,.;:!?()\[\]\"“”‘’…/\-–—]+")  # a number before these ends its phrase
_JOINED = "xxfigure"  # stands for a figure, so the number next to it is read as joined to it


@lru_cache(maxsize=4096)
def named(text: str) -> frozenset[tuple[str, str]]:
    """(folded noun, number) for every number that names which one of a thing."""
    text = _F.sub(r"f \1", _FIGURE.sub(f" {_JOINED} ", unicodedata.normalize("NFC", text.lower())))
    accented = fold(text) != text
    out = set()
    for phrase in _STOP.split(text):
        raw = words(phrase)
        folded = [fold(w) for w in raw]
        for i, w in enumerate(folded):
            if not w.isdigit() or i == 0:
                continue
            after = raw[i + 1] if i + 1 < len(raw) else ""
            if after == _JOINED or folded[i - 1] == _JOINED:
                continue
            if (after in _UNITS) if accented else (fold(after) in _FOLDED_UNITS):
                continue  # a quantity
            j = i - 1
            while j > 0 and folded[j] in _BETWEEN:
                j -= 1
            noun = next((" ".join(folded[j - k:j + 1]) for k in (1, 0)
                         if j - k >= 0 and tuple(folded[j - k:j + 1]) in NAMING), None)
            if noun is not None:
                out.add((noun, w.lstrip("0") or "0"))
    return frozenset(out)


def other_one(question: str, clause: str) -> tuple[str, str] | None:
    """The (noun, number) the question names when the clause names that noun only with other
    numbers; None when there is no such conflict."""
    asked = named(question)
    if not asked:
        return None
    given = named(clause)
    for noun in sorted({n for n, _ in asked}):
        theirs = {k for n, k in given if n == noun}
        ours = {k for n, k in asked if n == noun}
        if theirs and not theirs & ours:
            return noun, min(ours)
    return None


def as_said(question: str, clause: str) -> tuple[str, str] | None:
    """For a resident: what was asked and what the clause names instead, as the clause writes the
    noun ("mũi 3", "mũi 2"); None when there is no such conflict."""
    found = other_one(question, clause)
    if found is None:
        return None
    noun, number = found
    theirs = sorted({k for n, k in named(clause) if n == noun}, key=lambda k: (len(k), k))
    written = _written(clause, noun) or noun
    return f"{written} {number}", f"{written} {', '.join(theirs)}"


def _written(text: str, noun: str) -> str | None:
    """The noun as the text writes it (accents and all), lower-cased."""
    want = noun.split()
    raw = words(unicodedata.normalize("NFC", text.lower()))
    for i in range(len(raw) - len(want) + 1):
        if [fold(w) for w in raw[i:i + len(want)]] == want:
            return " ".join(raw[i:i + len(want)])
    return None
