"""Put the diacritics back on a question typed without them, before the dense model reads it.

pyvi's CRF model guesses the accents well for everyday words but misses domain terms; the
indexed texts are the best dictionary for those: "tai cho" → "tại chỗ", "dung dau" → "đứng đầu".
So pyvi's guess is kept except where a run of three syllables, or a two-syllable compound word,
folds to one the corpus has and pyvi wrote it differently.
"""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from . import vidiac
from .progress import track
from .text import fold, nfc, words

log = logging.getLogger(__name__)
_MAX_N = 3


class AccentRestorer:
    def __init__(self, forms: dict[str, str]):
        self.forms = forms  # folded n-gram → its most frequent accented form in the corpus

    @classmethod
    def build(cls, texts: list[str], progress: bool = False) -> "AccentRestorer":
        """The corpus's three-syllable runs, and its two-syllable compound words as pyvi
        segments them (bare bigrams such as "tới cơ" would override everyday words)."""
        counts: dict[str, Counter] = defaultdict(Counter)
        for text in track(texts, "documents read for their accented words", show=progress):
            for folded, gram in grams(text):
                counts[folded][gram] += 1
        return cls({k: c.most_common(1)[0][0] for k, c in counts.items()})

    def restore(self, text: str) -> str:
        syl = [w.lower() for w in words(text)]
        guess = _pyvi(" ".join(syl)).split()
        if len(guess) != len(syl):
            guess = list(syl)
        out, i = [], 0
        while i < len(syl):
            for n in range(min(_MAX_N, len(syl) - i), 1, -1):
                folded = fold(" ".join(syl[i:i + n]))
                form = self.forms.get(folded)
                if form and " ".join(guess[i:i + n]) != form:
                    out.append(form)
                    i += n
                    break
            else:
                out.append(guess[i])
                i += 1
        return " ".join(out)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.forms, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "AccentRestorer":
        vidiac.load()  # at load time, not on the first question typed without diacritics
        return cls(json.loads(path.read_text(encoding="utf-8")))


def grams(text: str) -> Iterator[tuple[str, str]]:
    """(folded, accented) n-grams of one text, in the order build() counts them: every run of
    three syllables, then pyvi's compound words of two or three (index_update counts per
    document with the same order, so an updated index picks the same forms as a rebuild)."""
    from pyvi import ViTokenizer

    text = nfc(text)
    ws = [w.lower() for w in words(text)]
    for i in range(len(ws) - 2):
        gram = " ".join(ws[i:i + 3])
        yield fold(gram), gram
    for token in ViTokenizer.tokenize(text).split():
        parts = [w.lower() for w in words(token.replace("_", " "))]
        if 1 < len(parts) <= _MAX_N:
            gram = " ".join(parts)
            yield fold(gram), gram


@lru_cache(maxsize=4096)
def _pyvi(text: str) -> str:
    """pyvi's guess (its CRF model, via vidiac.py), lower-cased (its casing is erratic). The
    tagger can raise on some ordinary input (pyvi raised a KeyError for an n-gram its model lacks,
    e.g. "may moc hoac thiet bi"): then the text stays as typed, and the corpus's own forms and
    the folded lexical side still do their work."""
    try:
        return nfc(vidiac.add_accents(text).lower())
    except Exception as e:
        ws = text.split()
        if len(ws) <= 2:
            log.info("diacritic restoration failed on %r (%s); kept as typed", text, type(e).__name__)
            return text
        half = len(ws) // 2  # restore what can be restored: the halves, recursively
        return f"{_pyvi(' '.join(ws[:half]))} {_pyvi(' '.join(ws[half:]))}"
