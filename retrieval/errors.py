"""Errors shared by the curated inputs' readers (corpus, validity, FAQ, glossary, gold)."""
from __future__ import annotations


class CorpusError(ValueError):
    """A manifest or corpus file that cannot be used; the message says what to fix."""
