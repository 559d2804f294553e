"""The everyday commands: set up, index, ask, search, list the sources."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import UserError, options


def configure(name: str, p) -> None:
    if name == "setup-model":
        p.add_argument("--out", help="output directory (default: the rulebot cache)")
        return
    options.engine(p)
    if name == "index":
        p.add_argument("--corpus", help="JSON lines with id, title, text and optional date")
        p.add_argument("--no-faq", action="store_true",
                       help="index data/sources without data/faq.jsonl: what a new document gets "
                            "(searched without the glossary too, unless RULEBOT_GLOSSARY names one)")
    elif name == "ask":
        p.add_argument("question", nargs="+")
        p.add_argument("--json", action="store_true", help="print the Answer as JSON")
        options.as_of(p)
    elif name == "search":
        p.add_argument("--k", type=int, default=5, help="results per question (1 to 100, default 5)")
        p.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid")
        options.as_of(p)


def run(args) -> int:
    return {"setup": setup, "setup-model": setup_model, "index": index, "ask": ask,
            "search": search, "sources": sources}[args.command](args)


def setup_model(args) -> int:
    from retrieval import settings
    from retrieval.onnx_export import ensure_default_model

    print(ensure_default_model(Path(args.out) if args.out else settings.default_model_dir()))
    return 0


def setup(args) -> int:
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


def index(args) -> int:
    from retrieval import settings

    _build(settings.index_dir(args.index), settings.model_setting(args.model), args.corpus,
           getattr(args, "no_faq", False))
    return 0


def _build(path: Path, model: str, corpus: str | None, no_faq: bool = False) -> None:
    from retrieval import faq
    from retrieval.corpus import load_jsonl
    from retrieval.index import build

    docs, entries = (load_jsonl(Path(corpus)), []) if corpus else faq.curated()
    name = str(corpus) if corpus else "manifest"
    if no_faq and not corpus:  # not the shipped index: no staleness check, no glossary by default
        entries, name = [], "manifest without the FAQ"
    manifest = build(docs, _embedder(model), path, corpus_name=name, faq=entries, progress=True)
    print(f"Indexed {manifest['documents']} documents, {manifest['chunks']} clauses, "
          f"{manifest['faq_questions']} FAQ questions in {manifest['build_seconds']} s → {path}",
          file=sys.stderr)


def _embedder(model: str):
    from retrieval.embedding import load_embedder

    return load_embedder(model, purpose="index")


def _engine(args):
    from retrieval.engine import Engine

    return Engine.load(args.index, args.model)


def ask(args) -> int:
    from bot.render import render

    answer = _engine(args).answer(" ".join(args.question), as_of=args.as_of)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2), flush=True)
    else:
        print(render(answer), flush=True)
    return 0 if answer.status != "invalid" else 1


def search(args) -> int:
    """One JSON line per question; a question that cannot be searched gets an "error" field and
    the batch goes on."""
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
            try:
                result = engine.search(question, k=args.k, mode=args.mode, as_of=args.as_of)
            except Exception as e:  # the engine degrades rather than fails; this is the last guard
                record["error"] = f"internal: {type(e).__name__}"
            else:
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


def sources(args) -> int:
    from bot.render import vn_date

    for s in _engine(args).sources:
        print(f"{vn_date(s.date)}  {s.title} ({s.issuer})")
    return 0
