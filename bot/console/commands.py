"""Command-line side of the console: `officials`, `review export` and `serve`.

What each command does; their arguments are declared with the other subcommands' in
`bot/cli/console.py`.
"""
from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from starlette.routing import BaseRoute

from bot.officials import Officials, OfficialsError, default_path


class CommandError(Exception):
    """Something the user can fix; printed without a traceback."""


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (a container without a passwd entry)
        return "cli"


# --- rulebot officials ----------------------------------------------------------------------

def _password(from_stdin: bool) -> str:
    """From standard input (first line), or typed twice at the terminal; never echoed or logged."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise CommandError("no password on standard input")
        return value
    if not sys.stdin.isatty():
        raise CommandError("no terminal to type the password on; pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise CommandError("the two passwords differ; nothing changed")
    return first


def run_officials(args) -> int:
    store = Officials(Path(args.officials) if args.officials else default_path())
    actor = _actor()
    try:
        if args.action == "add":
            o = store.add(args.name, args.role, _password(args.password_stdin), actor)
            print(f"Added {o.name} ({o.role}).")
        elif args.action == "list":
            rows = store.list()
            if not rows:
                print("No accounts yet. Add one: rulebot officials add NAME --role admin")
            for o in rows:
                lock = f"  locked until {o.locked_until}" if o.locked_until else ""
                print(f"{o.name:<24} {o.role:<9} since {o.created_at}{lock}")
        elif args.action == "remove":
            store.remove(args.name, actor)
            print(f"Removed {args.name}.")
        elif args.action == "passwd":
            if store.get(args.name) is None:
                raise CommandError(f"no account named '{args.name}'")
            store.passwd(args.name, _password(args.password_stdin), actor)
            print(f"New password set for {args.name}; their sessions have ended.")
        elif args.action == "role":
            store.set_role(args.name, args.role, actor)
            print(f"{args.name} is now {args.role}.")
        elif args.action == "unlock":
            if store.get(args.name) is None:
                raise CommandError(f"no account named '{args.name}'")
            store.unlock(args.name, actor)
            print(f"Unlocked {args.name}.")
    except (OfficialsError, CommandError) as e:
        print(f"rulebot: {e}", file=sys.stderr)
        return 2
    return 0


# --- rulebot review export --------------------------------------------------------------------

def run_review(args) -> int:
    from .exchanges import ExchangeReader
    from .export import SKIPS, gold_records, write_gold
    from .reviews import ReviewStore

    log = Path(args.log or os.environ.get("RULEBOT_LOG") or "var/rulebot-log.db")
    if not log.is_file():
        print(f"rulebot: no exchange log at {log}", file=sys.stderr)
        return 2
    report = gold_records(ExchangeReader(log), ReviewStore(log))
    for reason, n in sorted(report.skipped.items()):
        print(f"left out {n}: {SKIPS.get(reason, reason)}", file=sys.stderr)
    if not report.records:
        print("rulebot: no reviewed exchange to export yet; nothing written", file=sys.stderr)
        return 1
    out = write_gold(report, args.gold)
    splits = {s: sum(r["split"] == s for r in report.records) for s in ("dev", "test")}
    print(f"Wrote {len(report.records)} gold questions ({report.answerable} answerable, {report.offtopic} "
          f"off-topic; {splits['test']} test, {splits['dev']} dev = already in the officials' FAQ) to {out}.\n"
          f"Evaluate: rulebot eval --gold {out}" + ("" if splits["test"] else " --split dev"))
    Officials(Path(args.officials) if args.officials else default_path()).record(
        _actor(), "review.export", str(out), f"{len(report.records)} questions")
    return 0


# --- rulebot serve ------------------------------------------------------------------------------

def load_or_build(index_dir: str | None, model: str | None):
    """The engine, rebuilding a stale index first: officials' FAQ lines added while the server
    was down (or a rebuild cut short by a restart) make the index stale, and the service should
    come back up on its own."""
    from retrieval import faq, settings
    from retrieval.corpus import checksum
    from retrieval.embedding import load_embedder
    from retrieval.engine import Engine
    from retrieval.glossary import Glossary
    from retrieval.index import IndexNotUsable, build, load
    from retrieval.search import Retriever

    try:
        return Engine.load(index_dir, model)
    except IndexNotUsable as why:
        print(f"{why}\nBuilding it now…", file=sys.stderr, flush=True)
    path = settings.index_dir(index_dir)
    embedder = load_embedder(settings.model_setting(model))
    docs, entries = faq.curated()
    build(docs, embedder, path, corpus_name="manifest", faq=entries)
    index = load(path, model=embedder.name, expected_checksum=checksum(docs, entries),
                 backend=(embedder.backend, embedder.backend_checksum))
    return Engine(index, Retriever(index, embedder, glossary=Glossary.load(settings.glossary_path(True))))


Channels = Callable[[object], tuple[Sequence[BaseRoute], Callable | None]]


def build_app(args, channels: Channels | None = None):
    """The app `serve` runs. `channels(holder)` returns the webhook routes (`/telegram`, `/zalo`)
    and a lifespan that starts and stops the bots; they answer through `Service(holder, log)`,
    so a rebuilt index reaches them too."""
    from bot.engine_holder import EngineHolder, Rebuilder

    from .app import create_app
    from .settings import ConsoleSettings, listen

    settings = ConsoleSettings.from_env()
    if getattr(args, "listen", None):
        host, port = listen(args.listen)
        settings = replace(settings, host=host, port=port)
    index_dir = Path(args.index) if getattr(args, "index", None) else settings.index_dir
    holder = EngineHolder(load_or_build(getattr(args, "index", None), getattr(args, "model", None)))
    routes, lifespan = channels(holder) if channels else ((), None)
    app = create_app(settings, engine_holder=holder, rebuilder=Rebuilder(holder, index_dir),
                     extra_routes=routes, lifespan=lifespan)
    return app, settings, holder


def serve(args, channels: Channels | None = None) -> int:
    import uvicorn

    from .settings import ConsoleSettingsError

    try:
        app, settings, _ = build_app(args, channels)
    except ConsoleSettingsError as e:
        print(f"rulebot: {e}", file=sys.stderr)
        return 2
    if not app.state.console.officials.list():
        print("No officials' accounts yet; add one: rulebot officials add NAME --role admin", file=sys.stderr)
    print(f"Console on http://{settings.host}:{settings.port}/ (health: /healthz)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, server_header=False, log_level="info",
                proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))
    return 0
