"""Text normalisation shared by indexing and querying, so both sides see the same tokens."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # terminal colour codes pasted along with text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")


def nfc(text: str) -> str:
    """Decomposed Vietnamese breaks the tokenizer and string matching; compose it."""
    return unicodedata.normalize("NFC", text)


def clean_input(text: str) -> str:
    """NFC, no control characters, single spaces: what a question looks like to the engine."""
    text = _CONTROL.sub(" ", _ANSI.sub(" ", nfc(text)))
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower-case and strip diacritics (đ → d), so typed-without-accents text matches."""
    return _fold_word(text) if len(text) <= 32 else _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("đ", "d")


# The answer path folds the same words and short phrases for question after question.
_fold_word = lru_cache(maxsize=1 << 16)(_fold)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def normalise(text: str) -> str:
    """NFC with runs of whitespace collapsed: line breaks inside a clause must not break a match."""
    return " ".join(nfc(text).split())


def contains_either(text_a: str, text_b: str) -> bool:
    """One normalised text contains the other: how a quoted span and a clause are matched."""
    a, b = normalise(text_a), normalise(text_b)
    return bool(a and b) and (a in b or b in a)
