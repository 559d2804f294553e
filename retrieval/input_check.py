"""Whether what a resident typed can be treated as a question: light, so the channels can word
the reasons (bot/messages.py) without loading the search stack."""
from __future__ import annotations

from .text import clean_input, has_letters

MAX_QUESTION_CHARS = 1000
# Why an input cannot be answered as a question; the channels word these for residents.
EMPTY, TOO_LONG, NO_LETTERS = "empty", "too_long", "no_letters"


def check_question(question: str) -> str | None:
    """EMPTY, TOO_LONG or NO_LETTERS when this input cannot be answered as a question; else None."""
    text = clean_input(question or "")
    if not text:
        return EMPTY
    if len(text) > MAX_QUESTION_CHARS:
        return TOO_LONG
    if not has_letters(text):
        return NO_LETTERS
    return None
