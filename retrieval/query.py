"""Turn what a resident typed into what the retrievers need.

Residents write in chat shorthand ("ko", "dc", "j") and often without diacritics. The lexical
side works on folded text anyway; the dense model understands Vietnamese far better with its
diacritics, so a question typed without them is restored first (see diacritics.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .diacritics import AccentRestorer
from .text import clean_input, fold, has_diacritics

_SHORTHAND = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "hok": "không", "hong": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được",
    "j": "gì", "ji": "gì", "bn": "bao nhiêu", "bnhieu": "bao nhiêu",
    "ng": "người", "vs": "với", "mn": "mọi người", "mk": "mình", "mik": "mình",
    "r": "rồi", "ntn": "như thế nào", "cx": "cũng", "trc": "trước", "t": "tôi",
    "cty": "công ty", "hn": "Hà Nội", "tp": "thành phố", "xn": "xét nghiệm",
}
_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)


@dataclass(frozen=True)
class Query:
    text: str  # NFC, control characters removed, shorthand expanded
    dense_text: str  # what the embedding model reads
    had_diacritics: bool


def expand_shorthand(text: str, accented: bool = True) -> str:
    def word(t: str) -> str:
        full = _SHORTHAND.get(t.lower())
        return t if full is None else (full if accented else fold(full))

    return "".join(word(t) if t[:1].isalnum() else t for t in _TOKEN.findall(text))


def prepare(question: str, restorer: AccentRestorer | None = None) -> Query:
    cleaned = clean_input(question)
    had = has_diacritics(cleaned)
    expanded = expand_shorthand(cleaned, accented=had)
    if had:
        return Query(expanded, expanded, True)
    return Query(expanded, (restorer or AccentRestorer({})).restore(expanded), False)
