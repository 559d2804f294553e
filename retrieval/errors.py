"""Errors shared across the library: the curated inputs' readers (corpus, validity, FAQ,
glossary, gold) and the embedding backends."""
from __future__ import annotations


class CorpusError(ValueError):
    """A manifest or corpus file that cannot be used; the message says what to fix."""


class ModelNotAvailable(RuntimeError):
    """The configured model cannot be loaded offline; the message says what to run."""
