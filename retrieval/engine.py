"""The one entry point channels use: load once, then answer questions."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import answer as answering
from . import faq, settings
from .corpus import checksum
from .embedding import expected_backend, load_embedder
from .glossary import Glossary
from .index import Index, load
from .abstention import Abstention
from .fusion import Ranking
from .search import Result, Retriever
from .smalltalk import small_talk_kind
from .types import Answer, Source

log = logging.getLogger(__name__)


@dataclass
class Engine:
    index: Index
    retriever: Retriever

    @classmethod
    def load(cls, index_dir: str | Path | None = None, model: str | None = None,
             ranking: Ranking = Ranking(), abstention: Abstention = Abstention()) -> "Engine":
        """Load the index and the model it was built with; refuse a stale default index."""
        path = settings.index_dir(str(index_dir) if index_dir else None)
        model = settings.model_setting(model)
        expected = None
        default_corpus = _built_from(path) == "manifest"
        if default_corpus:  # refuse a stale index
            docs, entries = faq.curated()
            expected = checksum(docs, entries)
        index = load(path, model=model, expected_checksum=expected, backend=expected_backend(model))
        if default_corpus:  # whether a document still holds comes from the store, not the index
            index.sources = fresh_sources(index.sources, docs)
        glossary = Glossary.load(settings.glossary_path(default_corpus))
        return cls(index, Retriever(index, load_embedder(model), ranking, abstention, glossary))

    @property
    def sources(self) -> list[Source]:
        return sorted(self.index.sources.values(), key=lambda s: (s.date or date.min), reverse=True)

    def search(self, question: str, k: int = 5, mode: str = "hybrid", as_of: date | None = None) -> Result:
        """Ranked passages. Never throws for the hybrid: if the model or FAISS fails on a
        question, it is searched lexically (the failure is logged)."""
        try:
            return self.retriever.search(question, k=k, mode=mode, as_of=as_of)
        except Exception:
            if mode != "hybrid":
                raise
            log.exception("hybrid search failed; falling back to the lexical side for %r", question[:80])
            return self.retriever.search(question, k=k, mode="lexical", as_of=as_of)

    def answer(self, question: str, as_of: date | None = None) -> Answer:
        """Always an Answer: "invalid" for what is not a question, "small_talk" for greetings,
        thanks and the like (never a quote; `notice` says which kind), "no_match" when nothing can
        be said with a verified quote (including when retrieval itself fails)."""
        problem = answering.check_question(question)
        # emoji alone ("👍", "😷🙏") have no letters, but are small talk, not a malformed question
        talk = small_talk_kind(question) if problem in (None, answering.NO_LETTERS) else None
        if talk:
            return Answer(question, "small_talk", notice=talk, as_of=as_of)
        if problem:
            return Answer(question or "", "invalid", notice=problem, as_of=as_of)
        try:
            result = self.search(question, k=1 + answering.MORE + 2, as_of=as_of)
            return answering.build(self.index, question, result, as_of=as_of)
        except Exception:
            log.exception("answering failed for %r", question[:80])
            return Answer(question, "no_match", as_of=as_of)


def fresh_sources(indexed: dict[str, Source], docs) -> dict[str, Source]:
    """The index's documents with their metadata as the store has it now: retiring or replacing
    a document changes its validity, not the index (the checksum leaves validity out)."""
    now = {d.source.id: d.source for d in docs}
    return {sid: now.get(sid, s) for sid, s in indexed.items()}


def _built_from(path: Path) -> str | None:
    """Which corpus an index says it was built from ("manifest" for data/sources.toml)."""
    try:
        return json.loads((Path(path) / "manifest.json").read_text()).get("corpus")
    except (OSError, ValueError):
        return None
