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

from bot.engine_holder import EngineHolder, Rebuilder
from bot.officials import Officials
from retrieval.corpus import Document

from . import views
from .auth import COOKIE
from .exchanges import ExchangeReader
from .faq_lines import OfficialsFaq
from .reviews import ReviewStore
from .settings import ConsoleSettings

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
               extra_routes: Sequence[BaseRoute] = (), lifespan: Callable | None = None) -> Starlette:
    """The console app. Paths given here win over `settings` (the environment by default).

    `rebuilder` rebuilds the index after FAQ changes (None: a Rebuilder on settings.index_dir);
    `docs` gives the corpus officials' FAQ lines are checked against; `officials` may be passed
    to share one store (tests use a cheap password hasher)."""
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
    return app
