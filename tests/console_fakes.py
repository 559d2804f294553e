"""A small stand-in for retrieval.engine.Engine, so console tests run without the model.

It holds the real documents, chunked as the index chunks them, and ranks clauses by the share of
the question's words they contain; FAQ entries given to it answer their questions word for word,
like the real FAQ side does for a question asked exactly as written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from retrieval import answer as answering
from retrieval import settings
from retrieval.chunking import chunk_document
from retrieval.corpus import load_manifest
from retrieval.query import QUESTION_WORDS
from retrieval.text import contains_either, fold, normalise, words
from retrieval.types import Answer, Chunk, Hit, Source

_DOCS = None


def docs():
    global _DOCS
    if _DOCS is None:
        _DOCS = load_manifest(settings.DEFAULT_MANIFEST)
    return _DOCS


@dataclass
class FakeIndex:
    sources: dict[str, Source]
    texts: dict[str, str]
    chunks: list[Chunk]
    manifest: dict = field(default_factory=dict)
    path: Path = Path("fake-index")
    faq: object = None


class FakeEngine:
    def __init__(self, faq_entries=(), bar: float = 0.75, documents=None):
        ds = docs() if documents is None else documents
        chunks = [c for d in ds for c in chunk_document(d.source.id, d.text)]
        self.index = FakeIndex({d.source.id: d.source for d in ds}, {d.source.id: d.text for d in ds}, chunks,
                               {"built_at": "2021-08-01T00:00:00+00:00", "documents": len(ds), "chunks": len(chunks),
                                "faq_questions": sum(len(e.ask) for e in faq_entries), "build_seconds": 0.01})
        self.bar = bar
        self._words = [set(words(fold(c.text))) for c in chunks]
        self._faq = {normalise(fold(q)): e for e in faq_entries for q in e.ask}

    @property
    def sources(self):
        return sorted(self.index.sources.values(), key=lambda s: s.date or date.min, reverse=True)

    def search(self, question, k=5, mode="hybrid", as_of=None):
        asked = [w for w in words(fold(question)) if w not in QUESTION_WORDS]
        entry = self._faq.get(normalise(fold(question)))
        scored = []
        for i, c in enumerate(self.index.chunks):
            share = sum(w in self._words[i] for w in asked) / len(asked) if asked else 0.0
            if entry and c.source_id == entry.source_id and contains_either(c.text, entry.span):
                share += 1.0
            scored.append((share, -i))
        scored.sort(reverse=True)
        hits = [Hit(self.index.chunks[-i], s, r + 1, s >= self.bar) for r, (s, i) in enumerate(scored[:k]) if s > 0]
        return SimpleNamespace(hits=hits, abstained=not hits or not hits[0].confident, missing=None, margin=None,
                               query=SimpleNamespace(text=question))

    def answer(self, question, as_of=None):
        problem = answering.check_question(question)
        if problem:
            return Answer(question or "", "invalid", notice=problem)
        return answering.build(self.index, question, self.search(question, k=5))


def fake_build(docs_, entries, out, engine):
    return {"build_seconds": 0.01, "faq_questions": sum(len(e.ask) for e in entries)}


def fake_load(out, engine, docs_, entries):
    return FakeEngine(entries, bar=engine.bar, documents=docs_)


class FakeTarget:
    """Stands for the index a document change is carried into: records what would be staged,
    and "embeds" the clauses of documents it has not seen (no model)."""

    def __init__(self, engine):
        self.known = {c.source_id for c in engine.index.chunks}

    def stage(self, docs_):
        new = [d for d in docs_ if d.source.id not in self.known]
        n = sum(len(chunk_document(d.source.id, d.text)) for d in new)
        return SimpleNamespace(path=Path("fake-generation"), embedded=n, seconds={"total": 0.0},
                               manifest={"chunks": sum(len(chunk_document(d.source.id, d.text)) for d in docs_)})

    def publish(self, update):
        return update


# --- a console on temporary files ----------------------------------------------------------------

PASSWORD = "correct horse battery"


@dataclass
class Rig:
    app: object
    holder: object
    log: object
    service: object
    officials: object
    rebuilder: object
    tmp: Path

    def client(self, **kw):
        from starlette.testclient import TestClient

        return TestClient(self.app, follow_redirects=False, **kw)

    def ask(self, question: str, channel: str = "telegram", user: object = None):
        """A resident's question through the real Service, with the reply logged as delivered
        (each from a new resident unless `user` is given: the flood limit counts per resident)."""
        import asyncio
        import itertools

        self._users = getattr(self, "_users", itertools.count(1000))
        user = next(self._users) if user is None else user

        from bot.render import render

        async def go():
            ex = await self.service.ask(channel, user, question)
            self.service.delivered(ex, render(ex.answer))
            return ex

        return in_thread(lambda: asyncio.run(go()))

    def db_bytes(self) -> bytes:
        """Every byte the console's and the log's SQLite files hold on disk, WAL included."""
        return b"".join(p.read_bytes() for p in sorted(self.tmp.rglob("*")) if p.is_file())


def rig(tmp_path: Path, clock=None, https: bool = False, extra_routes=(), store=None) -> Rig:
    from argon2 import PasswordHasher

    from bot.console.app import create_app
    from bot.console.settings import ConsoleSettings
    from bot.engine_holder import EngineHolder, Rebuilder
    from bot.exchange_log import ExchangeLog
    from bot.officials import Officials
    from bot.service import Service
    from retrieval.documents import Store

    store = store or Store(tmp_path / "documents")
    holder = EngineHolder(FakeEngine())
    log = ExchangeLog(tmp_path / "log.db", salt="test-salt")
    kw = {"clock": clock} if clock else {}
    officials = Officials(tmp_path / "officials.db", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1), **kw)
    for name, role in (("rita", "reviewer"), ("eddie", "editor"), ("ada", "admin")):
        officials.add(name, role, PASSWORD, "test")
    faq_file = tmp_path / "faq-officials.jsonl"

    def corpus():  # what faq.curated() gives when RULEBOT_OFFICIALS_FAQ names faq_file
        from retrieval import faq

        ds = store.documents()
        return ds, faq.load(faq_file, ds) if faq_file.is_file() else []

    rebuilder = Rebuilder(holder, tmp_path / "index", corpus=corpus, build=fake_build, load=fake_load)
    app = create_app(ConsoleSettings(secret="s" * 40, https=https, index_dir=None), engine_holder=holder,
                     exchange_log_path=tmp_path / "log.db", officials=officials,
                     officials_faq_path=faq_file, rebuilder=rebuilder, docs=docs,
                     extra_routes=extra_routes, documents=store, index_target=FakeTarget)
    return Rig(app, holder, log, Service(holder, log), officials, rebuilder, tmp_path)


def in_thread(fn):
    """Run `fn` in a thread of its own: sync Playwright keeps an event loop running in the test's
    thread, where asyncio.run cannot start another."""
    import threading

    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # re-raised in the caller's thread
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(client, name: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf": token, "next": "/review"})


def logged_in(r: Rig, name: str):
    c = r.client()
    resp = login(c, name)
    assert resp.status_code == 303, resp.text
    return c
