"""The console's ASGI application: `create_app(...)` wires the stores, the engine and the pages.

One Starlette app serves the console, `/healthz`, and whatever `extra_routes` the caller mounts
(the Telegram and Zalo webhooks, each checking its own secret; the console's session guard does
not apply to them). `lifespan` lets the caller start and stop the bots with the server.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from bot.document_ops import IndexTarget
from bot.engine_holder import EngineHolder, Rebuilder
from bot.officials import Officials
from retrieval.corpus import Document
from retrieval.documents import Store

from . import views
from .auth import COOKIE
from .documents import DocumentDesk, refresh_validity
from .exchanges import ExchangeReader
from .faq_lines import OfficialsFaq
from .reviews import ReviewStore
from .settings import ConsoleSettings
from .uploads import Uploads

TEMPLATES = Path(__file__).parent / "templates"
SESSION_HOURS = 12


@dataclass
class Console:
    """Everything the pages use, on `app.state.console`."""

    settings: ConsoleSettings
    holder: EngineHolder
    officials: Officials
    reader: ExchangeReader
    reviews: ReviewStore
    faq: OfficialsFaq | None
    rebuilder: Rebuilder | None
    templates: Jinja2Templates
    _chunks: dict = field(default_factory=dict)  # id(index) → {chunk id: position}
    desk: DocumentDesk | None = None  # the document pages' store, uploads and index

    def chunk_positions(self) -> dict[str, int]:
        index = self.holder.engine.index
        key = id(index)
        if key not in self._chunks:
            self._chunks = {key: {c.id: i for i, c in enumerate(index.chunks)}}
        return self._chunks[key]


def _manifest_docs() -> list[Document]:
    from retrieval import settings
    from retrieval.corpus import load_manifest

    return load_manifest(settings.DEFAULT_MANIFEST)


def create_app(settings: ConsoleSettings | None = None, *, engine_holder: EngineHolder,
               exchange_log_path: str | Path | None = None, officials_path: str | Path | None = None,
               officials_faq_path: str | Path | None = None, rebuilder: Rebuilder | None = None,
               docs: Callable[[], list[Document]] = _manifest_docs, officials: Officials | None = None,
               extra_routes: Sequence[BaseRoute] = (), lifespan: Callable | None = None,
               documents: Store | None = None,
               index_target: Callable[[object], IndexTarget] | None = None) -> Starlette:
    """The console app. Paths given here win over `settings` (the environment by default).

    `rebuilder` rebuilds the index after FAQ changes (None: a Rebuilder on settings.index_dir);
    `docs` gives the corpus officials' FAQ lines are checked against; `officials` may be passed
    to share one store (tests use a cheap password hasher). `documents`: the document store
    ($RULEBOT_DOCUMENTS by default); `index_target(engine)`: the index a document change is
    carried into (by default the rebuilder's, embedding with the engine's own model)."""
    s = settings or ConsoleSettings.from_env()
    if officials_path:
        s = replace(s, officials=Path(officials_path))
    log_path = Path(exchange_log_path or s.exchange_log)
    faq_path = officials_faq_path if officials_faq_path is not None else s.officials_faq
    store = officials or Officials(s.officials)
    if rebuilder is None and s.index_dir is not None:
        rebuilder = Rebuilder(engine_holder, s.index_dir)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    views.install_filters(templates)
    console = Console(s, engine_holder, store, ExchangeReader(log_path), ReviewStore(log_path),
                      OfficialsFaq(faq_path, docs) if faq_path else None, rebuilder, templates)
    doc_store = documents or Store()
    if index_target is None:
        from retrieval import settings as rsettings

        index_dir = rebuilder.index_dir if rebuilder else (s.index_dir or rsettings.index_dir())

        def index_target(engine):
            return IndexTarget(Path(index_dir), lambda: engine.retriever.embedder)

    console.desk = DocumentDesk(doc_store, Uploads(doc_store.root / ".uploads"), index_target, log_path)
    if rebuilder is not None and rebuilder.refresh is None:  # validity is the store's, not the index's
        rebuilder.refresh = lambda engine: refresh_validity(engine, doc_store)

    @contextlib.asynccontextmanager
    async def lifespan_(app):
        if lifespan is None:
            yield
        else:
            async with lifespan(app):
                yield

    app = Starlette(
        routes=[*views.routes(), Route("/healthz", views.healthz), *extra_routes],
        middleware=[
            Middleware(views.SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=s.secret_key(), session_cookie=COOKIE,
                       max_age=SESSION_HOURS * 3600, same_site="strict", https_only=s.https),
        ],
        lifespan=lifespan_)
    app.state.console = console
    app.state.refuse = views.refuse
    app.state.render = views.render
    return app
