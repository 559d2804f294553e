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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

PHASES = {"idle": "Chưa chạy", "queued": "Đang chờ", "building": "Đang xây chỉ mục",
          "updating": "Đang cập nhật chỉ mục",
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
    job: str = ""  # the Job running or last run (its label); "" for a full rebuild
    waiting: int = 0  # jobs queued behind this run

    @property
    def running(self) -> bool:
        return self.phase in ("queued", "building", "updating", "loading")

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
    index = load(out, model=embedder.name, expected_checksum=checksum(docs, entries),
                 backend=(embedder.backend, embedder.backend_checksum))
    glossary = Glossary.load(settings.glossary_path(True))
    return Engine(index, Retriever(index, embedder, engine.retriever.ranking, engine.retriever.abstention, glossary))


class JobError(Exception):
    """A job that could not be done; the message (Vietnamese) is shown in the console as it is."""


@dataclass(frozen=True)
class Job:
    """Index work other than a full rebuild (a document added: only its clauses embedded), run
    in the rebuild thread, one at a time with the rebuilds. `run(engine)` gets the engine in
    use and returns the engine to swap in (None: keep it) and the sentence the console shows."""

    label: str  # Vietnamese, e.g. "Thêm văn bản 22/CT-UBND"
    run: Callable[[object], tuple[object | None, str]]


class Rebuilder:
    """Rebuild the index in the background and swap it in; one run at a time, requests during a
    run coalesce into one more run; jobs queue and each runs once, in order."""

    def __init__(self, holder: EngineHolder, index_dir: str | Path, *,
                 corpus: Callable = default_corpus, build: Callable = default_build,
                 load: Callable = default_load, on_done: Callable[[RebuildState], None] | None = None,
                 refresh: Callable[[object], None] | None = None):
        self.holder = holder
        self.index_dir = Path(index_dir)
        self._corpus, self._build, self._load, self._on_done = corpus, build, load, on_done
        # What the index does not hold but the store does (which documents are in force): read
        # into every engine it swaps in, before and again after, so a document retired while a
        # run was building (from a corpus read when it started) is not shown in force again.
        self.refresh = refresh
        self._lock = threading.Lock()
        self._state = RebuildState()
        self._thread: threading.Thread | None = None
        self._jobs: deque[tuple[str, Job]] = deque()
        self._estimate = float(getattr(holder.engine.index, "manifest", {}).get("build_seconds") or 60.0)
        self._t0 = 0.0

    @property
    def state(self) -> RebuildState:
        with self._lock:
            s = self._state
        if s.phase == "building":  # a time-based estimate: index.build reports no progress itself
            s = replace(s, progress=min(0.95, (time.monotonic() - self._t0) / max(self._estimate, 1.0)))
        return s

    def request(self, by: str, job: Job | None = None) -> RebuildState:
        """A full rebuild (job None) or `job`, started now or after the run in progress."""
        with self._lock:
            if self._thread is not None:  # running: one more run follows it
                if job is None:
                    self._state = replace(self._state, pending=True)
                else:
                    self._jobs.append((by, job))
                    self._state = replace(self._state, waiting=len(self._jobs))
                return self._state
            self._state = RebuildState("queued", by, _now(), runs=self._state.runs, message="Đang chờ bắt đầu.",
                                       job=job.label if job else "")
            self._thread = threading.Thread(target=self._loop, args=(job,), name="index-rebuild", daemon=True)
            self._thread.start()
            return self._state

    def load_engine(self, engine, docs, entries):
        """The index at index_dir as a new engine sharing `engine`'s model (for jobs)."""
        return self._load(self.index_dir, engine, docs, entries)

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

    def _loop(self, job: Job | None = None) -> None:
        while True:
            if job is None:
                self._run_once()
            else:
                self._run_job(job)
            with self._lock:
                if self._jobs:
                    by, job = self._jobs.popleft()
                    self._state = replace(self._state, phase="queued", requested_by=by, started_at=_now(),
                                          job=job.label, waiting=len(self._jobs))
                    continue
                job = None
                if not self._state.pending:
                    self._thread = None
                    return
                self._state = replace(self._state, pending=False, phase="queued", started_at=_now(), job="")

    def _run_job(self, job: Job) -> None:
        t0 = time.monotonic()
        try:
            self._set(phase="updating", progress=0.0, message=f"{job.label}…")
            new, done = job.run(self.holder.engine)
            if new is not None:
                self._set(phase="loading", progress=0.97, message="Đang nạp chỉ mục mới…")
                self._swap(new)
            self._set(phase="done", progress=1.0, finished_at=_now(), runs=self._state.runs + 1,
                      message=f"{done} (sau {time.monotonic() - t0:.0f} giây).")
        except JobError as e:
            self._set(phase="failed", finished_at=_now(), runs=self._state.runs + 1, message=str(e))
        except Exception as e:  # the engine in use stays; say why in the console
            log.exception("index job failed: %s", job.label)
            self._set(phase="failed", finished_at=_now(), runs=self._state.runs + 1,
                      message=f"{job.label}: không thành công ({type(e).__name__}: {e}). Bot vẫn dùng chỉ mục cũ.")
        self._done()

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
            self._swap(new)
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
        self._done()

    def _swap(self, new) -> None:
        """Put `new` in use with the store's current validity. The second read closes the race with
        a retirement written between the first and the swap (it refreshed the old engine)."""
        self._refresh(new)
        self.holder.swap(new)
        self._refresh(new)

    def _refresh(self, engine) -> None:
        if self.refresh is None:
            return
        try:
            self.refresh(engine)
        except Exception:  # the index is fine; validity stays as built until the next retirement
            log.exception("reading documents' validity into the new engine failed")

    def _done(self) -> None:
        if self._on_done:
            try:
                self._on_done(self.state)
            except Exception:
                log.exception("rebuild callback failed")


def _now() -> datetime:
    return datetime.now(timezone.utc)
