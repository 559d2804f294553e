"""Adding, retiring and removing officials' documents: the steps `rulebot documents` and the
console's document pages both take, so the two cannot drift apart.

Order of writes for an add: the text and original (named by nothing yet), then the new index
generation (staged, not current), then the store's manifest (the commit), then the answers
queued for re-review, then the index link.
A crash before the commit leaves everything as it was; one after it leaves the index behind
the store, which the engine reports as stale and `rulebot documents sync` repairs by
embedding only what is missing. Retiring changes no vector, only the document store, which
engines read for each answer's validity. Every write runs under the store's lock.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from retrieval.corpus import Document
from retrieval.documents import DocumentError, NewDocument, Store
from retrieval.types import Chunk, Source
from retrieval.validity import Status, status

logger = logging.getLogger(__name__)  # `log` names the exchange log here


@dataclass
class IndexTarget:
    """The index a store change is carried into, and the model that embeds new clauses
    (asked for only when there is something to embed: the console passes the one it runs)."""

    path: Path
    embedder: Callable[[], object]

    def stage(self, docs: Sequence[Document]):
        """The generation for `docs`, written but not current; None when there is no index yet
        (the next `rulebot index` builds it with everything in the store)."""
        from retrieval import faq
        from retrieval.index_update import stage

        if not (self.path / "manifest.json").is_file():
            return None
        return stage(self.path, docs, self.embedder(), faq.curated_entries(list(docs)))

    def publish(self, update):
        from retrieval.index_update import publish

        if update is None:
            return None
        update.path = publish(update.path, self.path)
        return update


def index_target(index: str | None = None, model: str | None = None) -> IndexTarget:
    """The configured index ($RULEBOT_INDEX) and model ($RULEBOT_MODEL), loaded on demand."""
    from retrieval import settings

    def embedder():
        from retrieval.embedding import load_embedder

        return load_embedder(settings.model_setting(model), purpose="index")

    return IndexTarget(settings.index_dir(index), embedder)


@dataclass(frozen=True)
class Added:
    source: Source
    chunks: list[Chunk]
    update: object | None  # retrieval.index_update.Update; None: no index yet
    flagged: int | None  # answers quoting a replaced document, queued for review; None: the log refused
    documents: list[Document]  # the store after the add


@dataclass(frozen=True)
class Retired:
    source: Source
    flagged: int | None  # answers quoting it, queued for review; None: the log refused (retiring again queues them)


def add(store: Store, new: NewDocument, target: IndexTarget, log: str | Path | None) -> Added:
    with store.lock():
        prepared = store.prepare(new)
        store.write_files(prepared)
        docs = store.after_add(prepared)
        staged = target.stage(docs)
        store.commit_add(prepared)
        flagged = _queue(log, list(prepared.source.supersedes))  # before the index: a failed publish keeps them
        updated = target.publish(staged)
    return Added(prepared.source, prepared.chunks, updated, flagged, docs)


def retire(store: Store, sid: str, until: date, replaced_by: str | None, log: str | Path | None,
           today: date | None = None) -> Retired:
    with store.lock():
        s = store.retire(sid, until, replaced_by, today=today)
        flagged = _queue(log, [s.id])
    return Retired(s, flagged)


def check_remove(store: Store, sid: str):
    """What remove() would refuse, said before any work starts (the console asks first)."""
    entry = store.check_remove(sid)
    _no_officials_faq_lines(sid)
    return entry


def remove(store: Store, sid: str, target: IndexTarget,
           log: str | Path | None = None) -> tuple[Source, object | None, int | None]:
    """Take `sid` out of the store and the index. The answers that quoted it are queued for
    review (in `log`, else $RULEBOT_LOG's) right after the store commit, before the index: a failed
    publish keeps them. None: the log refused them (`_queue`)."""
    with store.lock():
        check_remove(store, sid)
        staged = target.stage(store.after_remove(sid))
        s = store.remove(sid)
        flagged = _queue(log, [sid])
        updated = target.publish(staged)
    return s, updated, flagged


def _no_officials_faq_lines(sid: str) -> None:
    """Residents' questions officials attached to a document are their work: a removal that
    would orphan them (the FAQ would no longer load) is refused, naming the lines."""
    from retrieval import settings
    from retrieval.faq import FaqError
    from retrieval.jsonlines import objects

    path = settings.officials_faq_path()
    if not path or not path.is_file():
        return
    lines = [int(where.rsplit(":", 1)[1]) for where, rec in objects(path, FaqError, "FAQ file")
             if rec.get("source_id") == sid]
    if lines:
        raise DocumentError(
            f"'{sid}' still has {len(lines)} FAQ question line(s) that officials added ({path}, line(s) "
            f"{', '.join(map(str, lines))}). Remove them first (the console's FAQ page), then the document.",
            reason="has_officials_faq", path=str(path), lines=lines)


def sync(store: Store, target: IndexTarget):
    """Bring the index in line with the store (after a crash, or an index built elsewhere)."""
    with store.lock():
        return target.publish(target.stage(store.documents()))


def _queue(log: str | Path | None, source_ids: list[str]) -> int | None:
    """flag(), or None when the exchange log refuses the write: the store has changed, so the
    index must still follow it (a locked log must not leave the bot on a stale index); the
    caller says the answers were not queued, and the server log names the documents."""
    try:
        return flag(log, source_ids)
    except sqlite3.Error:
        logger.exception("answers quoting %s not queued for review", ", ".join(source_ids))
        return None


def flag(log: str | Path | None, source_ids: list[str]) -> int:
    """Queue recent answers that quoted these documents for review (bot/rereview.py)."""
    from bot.rereview import flag as queue
    from bot.service import log_path

    return queue(log_path(str(log) if log else None), source_ids) if source_ids else 0


# --- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """A document in the store with its standing on a day."""

    source: Source
    origin: str  # "shipped" or "added"
    status: Status
    entry: object  # retrieval.documents.Entry


def rows(store: Store, day: date | None = None) -> list[Row]:
    entries = store.entries()
    sources = {e.document.source.id: e.document.source for e in entries}
    day = day or date.today()
    return [Row(e.document.source, e.origin, status(e.document.source, day, sources), e) for e in entries]


def row(store: Store, sid: str, day: date | None = None) -> Row:
    for r in rows(store, day):
        if r.source.id == sid:
            return r
    raise DocumentError(f"No document with id '{sid}'. See: rulebot documents list", "unknown_id", id=sid)


@dataclass(frozen=True)
class Preview:
    """What a file would make, before anything is written."""

    format: str
    title: str | None  # the file's own, when it has one
    date: date | None  # a web page's publication date
    characters: int
    kind: str | None  # given, else read from the text; None: cannot tell
    chunks: list[Chunk]


def preview(file: str | Path, number: str | None = None, kind: str | None = None) -> Preview:
    from retrieval.chunking import chunk_document
    from retrieval.documents import infer_kind
    from retrieval.extract import ExtractError, extract

    try:
        got = extract(file)
    except ExtractError as e:
        raise DocumentError(str(e), e.reason) from None
    return Preview(got.format, got.title, got.date, len(got.text), kind or infer_kind(got.text, number),
                   chunk_document("preview", got.text))
