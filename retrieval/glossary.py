"""Residents' words for what the directives call something else: "app" → "ứng dụng công nghệ".

Neither BM25 nor e5-small bridges "bộ đội" and "quân đội" or "về quê" and "ra khỏi Thành phố", and
no reranker runs offline, so the vocabulary gap is closed by hand, in `data/glossary.toml`. A
phrase is matched on whole words: with its diacritics when the question has them ("sốt" is not
"sót"), folded when the question was typed without any, except a one-word phrase that other words
of the corpus fold onto ("quán" typed bare is "quan", far more often "quận" or "cơ quan").
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice
from pathlib import Path

from .corpus import CorpusError
from .text import fold, has_diacritics, nfc, words


class GlossaryError(CorpusError):
    """A glossary file that cannot be used; the message says which entry and what to fix."""


@dataclass(frozen=True)
class Term:
    say: tuple[str, ...]  # how residents put it
    means: tuple[str, ...]  # how the documents put it


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...] = ()
    needs_diacritics: frozenset[str] = frozenset()  # one-word phrases ambiguous when typed bare
    _said_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def for_corpus(self, texts: Iterable[str]) -> "Glossary":
        """This glossary, knowing which of its one-word phrases other corpus words fold onto."""
        return self.for_words(corpus_words(texts))

    def for_words(self, corpus: Iterable[str]) -> "Glossary":
        """The same, from the corpus's distinct words (`corpus_words`, kept in the index)."""
        spelt: dict[str, set[str]] = {}
        for w in corpus:
            spelt.setdefault(fold(w), set()).add(w)
        ambiguous = {p for term in self.terms for p in term.say
                     if len(words(p)) == 1 and spelt.get(fold(p), set()) - {nfc(p).lower()}}
        return replace(self, needs_diacritics=frozenset(ambiguous))

    @classmethod
    def load(cls, path: str | Path | None) -> "Glossary":
        """An empty path means no glossary."""
        if not path:
            return cls()
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise GlossaryError(f"Cannot read the glossary {path}: {e.strerror or e}") from None
        except tomllib.TOMLDecodeError as e:
            raise GlossaryError(f"{path}: not valid TOML ({e})") from None
        terms = []
        for n, entry in enumerate(data.get("term", []), 1):
            say, means = (_phrases(entry, key) if isinstance(entry, dict) else () for key in ("say", "means"))
            if not say or not means:
                raise GlossaryError(f"{path}: entry {n} needs non-empty 'say' and 'means' lists of phrases")
            terms.append(Term(say, means))
        return cls(tuple(terms))

    def matches(self, question: str) -> list[tuple[str, Term]]:
        """Each resident phrase found in the question, with its entry."""
        accented = has_diacritics(question)
        seen = _padded(question, accented)
        return [(p, term) for p, padded, term in self._said(accented) if padded in seen]

    def _said(self, accented: bool) -> tuple[tuple[str, str, Term], ...]:
        """Every resident phrase that can match, padded as the question is; made once."""
        cached = self._said_cache.get(accented)
        if cached is None:
            cached = self._said_cache[accented] = tuple(
                (p, _padded(p, accented), term) for term in self.terms for p in term.say
                if accented or p not in self.needs_diacritics)
        return cached

    def expand(self, question: str, found: list[tuple[str, Term]] | None = None) -> tuple[str, ...]:
        """The documents' phrases for what the question says, minus those it already uses.
        `found`: the question's matches, when the caller has them already."""
        folded = _padded(question, False)
        out: list[str] = []
        for _, term in self.matches(question) if found is None else found:
            out += [m for m in term.means if _padded(m, False) not in folded and m not in out]
        return tuple(out)


def _phrases(entry: dict, key: str) -> tuple[str, ...]:
    value = entry.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and words(v) for v in value):
        return ()
    return tuple(nfc(v).strip() for v in value)


def corpus_words(texts: Iterable[str]) -> set[str]:
    """The distinct words of the texts, NFC and lower-case."""
    pieces: set[str] = set()  # whitespace-separated, so a large corpus's repeats are read once
    texts = iter(texts)
    while batch := list(islice(texts, 10_000)):  # joined: no per-text work in Python
        pieces.update(nfc(" ".join(batch)).lower().split())
    return {w for piece in pieces for w in words(piece)}


@lru_cache(maxsize=8192)  # every phrase of the glossary is padded for every question
@lru_cache(maxsize=1 << 14)
def _padded(text: str, accented: bool) -> str:
    """Whole words, single-spaced, padded: " a b " is in " x a b y " but not in " xa b "."""
    ws = words(nfc(text).lower() if accented else fold(text))
    return f" {' '.join(ws)} "
