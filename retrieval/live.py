"""An Engine for running bots: it follows the index and the document store without a restart.

Every few seconds (on the next question, never on a timer thread) it looks at where the index
link points and at the store's manifest. A new index generation is loaded in a background
thread with the model already in memory, then swapped in by one reference assignment:
questions keep being answered by the old engine meanwhile, and one asked during the swap gets
one engine or the other, whole. A changed manifest (a document retired or replaced) only
refreshes the documents' validity. If the new generation cannot be used (the store is ahead of
it after a crash), the old engine keeps answering and the failure is logged.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import date
from pathlib import Path

from . import faq, settings
from .corpus import checksum
from .documents import Store
from .engine import Engine, fresh_sources
from .glossary import Glossary
from .index import load
from .abstention import Abstention
from .fusion import Ranking
from .search import Retriever
from .types import Answer

log = logging.getLogger(__name__)


class LiveEngine:
    def __init__(self, engine: Engine, index_dir: str | Path, check_every: float = 2.0,
                 store: Store | None = None, follow_store: bool = True):
        self._engine = engine
        self.index_dir = Path(index_dir)
        self.check_every = check_every
        self.store = store or Store()
        self.follow_store = follow_store
        self._checked = time.monotonic()
        self._stamp = self._manifest_stamp()
        self._loading: threading.Thread | None = None
        self._lock = threading.Lock()
        self.reloads = 0

    @classmethod
    def load(cls, index_dir: str | Path | None = None, model: str | None = None, ranking: Ranking = Ranking(),
             abstention: Abstention = Abstention(), check_every: float = 2.0) -> "LiveEngine":
        path = settings.index_dir(str(index_dir) if index_dir else None)
        engine = Engine.load(path, model, ranking, abstention)
        return cls(engine, path, check_every, follow_store=engine.index.manifest.get("corpus") == "manifest")

    @property
    def engine(self) -> Engine:
        self._maybe_refresh()
        return self._engine

    def answer(self, question: str, as_of: date | None = None) -> Answer:
        return self.engine.answer(question, as_of=as_of)

    def __getattr__(self, name: str):  # search, sources, index, retriever: the current engine's
        return getattr(self.engine, name)

    # --- following -------------------------------------------------------------------------

    def _maybe_refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return
        with self._lock:
            if now - self._checked < self.check_every:
                return
            self._checked = now
            target = Path(os.path.realpath(self.index_dir))
            if target != self._engine.index.path and not (self._loading and self._loading.is_alive()):
                self._loading = threading.Thread(target=self._reload, args=(target,), daemon=True,
                                                 name="rulebot-index-reload")
                self._loading.start()
                return
            stamp = self._manifest_stamp()
            if self.follow_store and stamp != self._stamp:
                self._stamp = stamp
                self._refresh_validity()

    def wait(self, timeout: float | None = None) -> None:
        """Until a reload in progress is done (tests, graceful shutdown)."""
        if self._loading:
            self._loading.join(timeout)

    def _reload(self, target: Path) -> None:
        t0 = time.perf_counter()
        old = self._engine
        try:
            expected, docs = None, None
            if self.follow_store:
                docs, entries = faq.curated()
                expected = checksum(docs, entries)
            index = load(target, model=old.index.manifest.get("model"), expected_checksum=expected)
            if docs is not None:
                index.sources = fresh_sources(index.sources, docs)
            glossary = Glossary.load(settings.glossary_path(self.follow_store))
            self._engine = Engine(index, Retriever(index, old.retriever.embedder, old.retriever.ranking, old.retriever.abstention, glossary))
            self._stamp = self._manifest_stamp()
            self.reloads += 1
            log.info("index reloaded from %s in %.1f s", target, time.perf_counter() - t0)
        except Exception as e:  # keep answering with what works
            log.warning("index at %s not loaded, still answering from %s: %s", target, old.index.path, e)

    def _refresh_validity(self) -> None:
        try:
            docs = self.store.documents()
        except Exception as e:
            log.warning("document store not readable, validity unchanged: %s", e)
            return
        engine = self._engine
        engine.index.sources = fresh_sources(engine.index.sources, docs)

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.store.manifest.stat()
            return st.st_mtime_ns, st.st_size
        except OSError:
            return None
