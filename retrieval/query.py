"""Turn what a resident typed into what the retrievers need.

Residents write in chat shorthand ("ko", "dc", "j") and often without diacritics. The lexical
side works on folded text anyway; the dense model understands Vietnamese far better with its
diacritics, so a question typed without them is restored first (see diacritics.py). Words the
documents use for what the resident said come from the glossary (see glossary.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .diacritics import AccentRestorer
from .glossary import Glossary
from .text import clean_input, fold, has_diacritics

_SHORTHAND = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "hok": "không", "hong": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được",
    "j": "gì", "ji": "gì", "bn": "bao nhiêu", "bnhieu": "bao nhiêu",
    "ng": "người", "vs": "với", "mn": "mọi người", "mk": "mình", "mik": "mình",
    "r": "rồi", "ntn": "như thế nào", "cx": "cũng", "trc": "trước", "t": "tôi",
    "cty": "công ty", "hn": "Hà Nội", "tp": "thành phố", "xn": "xét nghiệm",
}
# Words that carry the asking, not the subject ("có … không", "là gì", "bao nhiêu"), folded. A
# clause is not on topic for sharing them, so they do not count towards word coverage.
QUESTION_WORDS = frozenset(
    "co khong ko k gi j nao the sao dau ai a vay nhi ha oi chu nhe duoc dc bi la nhung bao nhieu "
    "bn ntn thi r roi chua di lam".split())
_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)


@dataclass(frozen=True)
class Query:
    text: str  # NFC, control characters removed, shorthand expanded
    dense_text: str  # what the embedding model reads: restored diacritics, then the expansion
    had_diacritics: bool
    expansion: tuple[str, ...] = ()  # the documents' phrases for the resident's words
    bridges: tuple[tuple[str, tuple[str, ...]], ...] = ()  # resident phrase → the documents' phrases


def expand_shorthand(text: str, accented: bool = True) -> str:
    def word(t: str) -> str:
        full = _SHORTHAND.get(t.lower())
        return t if full is None else (full if accented else fold(full))

    return "".join(word(t) if t[:1].isalnum() else t for t in _TOKEN.findall(text))


def prepare(question: str, restorer: AccentRestorer | None = None,
            glossary: Glossary | None = None) -> Query:
    cleaned = clean_input(question)
    had = has_diacritics(cleaned)
    text = expand_shorthand(cleaned, accented=had)
    dense = text if had else (restorer or AccentRestorer({})).restore(text)
    glossary = glossary or Glossary()
    found = glossary.matches(text)
    extra = glossary.expand(text, found)
    if extra:
        dense = f"{dense} ({', '.join(extra)})"
    bridges = tuple((said, term.means) for said, term in found)
    return Query(text, dense, had, extra, bridges)
