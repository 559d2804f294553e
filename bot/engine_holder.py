"""The engine in use, swapped whole when a rebuilt index is ready, and the background rebuild.

Officials add FAQ lines while residents keep asking. The rebuild runs in a thread: it builds the
index with the shipped FAQ and the officials' lines, loads it beside the engine in use (sharing
its model, so no second copy of the weights), then swaps the holder's reference. A question reads
`holder.engine` once when it starts, so questions in flight finish on the old engine and the next
one gets the new; nothing waits and nothing is dropped. The holder answers like an Engine, so
`Service(holder, log)` needs no change.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

PHASES = {"idle": "Chưa chạy", "queued": "Đang chờ", "building": "Đang xây chỉ mục",
          "loading": "Đang nạp chỉ mục mới", "done": "Xong", "failed": "Lỗi"}


class EngineHolder:
    def __init__(self, engine):
        self._engine = engine
        self._lock = threading.Lock()
        self.generation = 0  # how many swaps so far

    @property
    def engine(self):
        return self._engine

    def swap(self, new_engine):
        """Put `new_engine` in use; returns the one it replaces."""
        with self._lock:
            old, self._engine = self._engine, new_engine
            self.generation += 1
        return old

    # Engine-like: each call takes the engine current when it starts.
    def answer(self, question: str, as_of: date | None = None):
        return self._engine.answer(question, as_of=as_of)

    def search(self, question: str, *args, **kwargs):
        return self._engine.search(question, *args, **kwargs)

    @property
    def index(self):
        return self._engine.index

    @property
    def sources(self):
        return self._engine.sources


@dataclass(frozen=True)
class RebuildState:
    phase: str = "idle"  # one of PHASES
    requested_by: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: float = 0.0  # 0..1; while building, estimated from the last build's duration
    message: str = ""  # Vietnamese, for the console
    runs: int = 0
    pending: bool = False  # another request arrived during this run: one more run follows

    @property
    def running(self) -> bool:
        return self.phase in ("queued", "building", "loading")

    @property
    def label(self) -> str:
        return PHASES.get(self.phase, self.phase)


def default_corpus():
    from retrieval import faq

    return faq.curated()


def default_build(docs, entries, out: Path, engine) -> dict:
    from retrieval.index import build

    return build(docs, engine.retriever.embedder, out, corpus_name="manifest", faq=entries)


def default_load(out: Path, engine, docs, entries):
    """The new index with the old engine's model and tuning, refused unless built from exactly
    this corpus and FAQ."""
    from retrieval import settings
    from retrieval.corpus import checksum
    from retrieval.engine import Engine
    from retrieval.glossary import Glossary
    from retrieval.index import load
    from retrieval.search import Retriever

    embedder = engine.retriever.embedder
    index = load(out, model=embedder.name, expected_checksum=checksum(docs, entries))
    glossary = Glossary.load(settings.glossary_path(True))
    return Engine(index, Retriever(index, embedder, engine.retriever.ranking, engine.retriever.abstention, glossary))


class Rebuilder:
    """Rebuild the index in the background and swap it in; one run at a time, requests during a
    run coalesce into one more run."""

    def __init__(self, holder: EngineHolder, index_dir: str | Path, *,
                 corpus: Callable = default_corpus, build: Callable = default_build,
                 load: Callable = default_load, on_done: Callable[[RebuildState], None] | None = None):
        self.holder = holder
        self.index_dir = Path(index_dir)
        self._corpus, self._build, self._load, self._on_done = corpus, build, load, on_done
        self._lock = threading.Lock()
        self._state = RebuildState()
        self._thread: threading.Thread | None = None
        self._estimate = float(getattr(holder.engine.index, "manifest", {}).get("build_seconds") or 60.0)
        self._t0 = 0.0

    @property
    def state(self) -> RebuildState:
        with self._lock:
            s = self._state
        if s.phase == "building":  # a time-based estimate: index.build reports no progress itself
            s = replace(s, progress=min(0.95, (time.monotonic() - self._t0) / max(self._estimate, 1.0)))
        return s

    def request(self, by: str) -> RebuildState:
        with self._lock:
            if self._thread is not None:  # running: one more run follows it
                self._state = replace(self._state, pending=True)
                return self._state
            self._state = RebuildState("queued", by, _now(), runs=self._state.runs, message="Đang chờ bắt đầu.")
            self._thread = threading.Thread(target=self._loop, name="index-rebuild", daemon=True)
            self._thread.start()
            return self._state

    def wait(self, timeout: float | None = None) -> RebuildState:
        """Block until no run is in progress or pending (tests, the command line)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                t = self._thread
            if t is None:
                return self.state
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if deadline is not None and time.monotonic() >= deadline:
                return self.state

    def _set(self, **kw) -> None:
        with self._lock:
            self._state = replace(self._state, **kw)

    def _loop(self) -> None:
        while True:
            self._run_once()
            with self._lock:
                if not self._state.pending:
                    self._thread = None
                    return
                self._state = replace(self._state, pending=False, phase="queued", started_at=_now())

    def _run_once(self) -> None:
        self._t0 = time.monotonic()
        try:
            self._set(phase="building", progress=0.0, message="Đang đọc văn bản và FAQ…")
            docs, entries = self._corpus()
            self._set(message=f"Đang xây chỉ mục: {len(docs)} văn bản, {len(entries)} dòng FAQ…")
            engine = self.holder.engine
            manifest = self._build(docs, entries, self.index_dir, engine)
            self._set(phase="loading", progress=0.97, message="Đang nạp chỉ mục mới…")
            new = self._load(self.index_dir, engine, docs, entries)
            self.holder.swap(new)
            took = time.monotonic() - self._t0
            self._estimate = float((manifest or {}).get("build_seconds") or took)
            questions = (manifest or {}).get("faq_questions")
            self._set(phase="done", progress=1.0, finished_at=_now(), runs=self._state.runs + 1,
                      message=f"Đã dùng chỉ mục mới sau {took:.0f} giây"
                              + (f" ({questions} câu hỏi FAQ)." if questions is not None else "."))
            log.info("index rebuilt and swapped in %.1f s", took)
        except Exception as e:  # the old engine stays in use; say why in the console
            log.exception("index rebuild failed")
            self._set(phase="failed", finished_at=_now(), runs=self._state.runs + 1,
                      message=f"Xây lại chỉ mục không thành công ({type(e).__name__}: {e}). "
                              "Bot vẫn dùng chỉ mục cũ.")
        if self._on_done:
            try:
                self._on_done(self.state)
            except Exception:
                log.exception("rebuild callback failed")


def _now() -> datetime:
    return datetime.now(timezone.utc)
