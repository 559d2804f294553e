"""The one entry point channels use: load once, then answer questions."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import answer as answering
from . import faq, settings
from .corpus import checksum
from .embedding import expected_backend, load_embedder
from .glossary import Glossary
from .index import Index, load
from .search import Result, Retriever, Tuning
from .types import Answer, Source


@dataclass
class Engine:
    index: Index
    retriever: Retriever

    @classmethod
    def load(cls, index_dir: str | Path | None = None, model: str | None = None,
             tuning: Tuning = Tuning()) -> "Engine":
        """Load the index and the model it was built with; refuse a stale default index."""
        path = settings.index_dir(str(index_dir) if index_dir else None)
        model = settings.model_setting(model)
        expected = None
        default_corpus = _built_from(path) == "manifest"
        if default_corpus:  # refuse a stale index
            expected = checksum(*faq.curated())
        index = load(path, model=model, expected_checksum=expected, backend=expected_backend(model))
        glossary = Glossary.load(settings.glossary_path(default_corpus))
        return cls(index, Retriever(index, load_embedder(model), tuning, glossary))

    @property
    def sources(self) -> list[Source]:
        return sorted(self.index.sources.values(), key=lambda s: (s.date or date.min), reverse=True)

    def search(self, question: str, k: int = 5, mode: str = "hybrid", as_of: date | None = None) -> Result:
        return self.retriever.search(question, k=k, mode=mode, as_of=as_of)

    def answer(self, question: str, as_of: date | None = None) -> Answer:
        problem = answering.check_question(question)
        if problem:
            return Answer(question or "", "invalid", notice=problem, as_of=as_of)
        result = self.search(question, k=1 + answering.MORE + 2, as_of=as_of)
        return answering.build(self.index, question, result, as_of=as_of)


def _built_from(path: Path) -> str | None:
    """Which corpus an index says it was built from ("manifest" for data/sources.toml)."""
    try:
        return json.loads((Path(path) / "manifest.json").read_text()).get("corpus")
    except (OSError, ValueError):
        return None
