"""Measuring commands: the gold-set evaluation, the external benchmark, the latency benchmark."""
from __future__ import annotations

import sys
from pathlib import Path

from . import options


def configure(name: str, p) -> None:
    from retrieval import settings

    gold_default = settings.REPO / "data" / "gold" / "questions.jsonl"
    if name == "eval":
        p.add_argument("--gold", action="append",
                       help="gold questions, JSON lines; repeat for several files asked together "
                            "(default: data/gold/questions.jsonl and data/gold/near_miss.jsonl)")
        p.add_argument("--split", choices=("dev", "test", "all"), default="test",
                       help="which questions (default: test)")
        options.engine(p)
        p.add_argument("--out", help="Markdown report; the PNG goes beside it (default: reports/eval-<split>.md, "
                                     "or eval-<gold name>-<split>.md for another gold file)")
        p.add_argument("--check", action="store_true", help="exit 1 when the shipped system is below FLOORS")
        p.add_argument("--new-document", action="store_true",
                       help="instead: what a document officials add gets; each shipped document in turn is "
                            "indexed without its FAQ lines (built under --work) and asked the questions about "
                            "it and the unanswerable ones (default report: reports/eval-<split>-new-document.md)")
        p.add_argument("--work", default=str(settings.REPO / "var" / "new-document"),
                       help="with --new-document: where its indexes are built (default: var/new-document)")
    elif name == "vicov19qa":
        p.add_argument("--data", default=str(settings.REPO.parent / "shared" / "bench" / "vicov19qa"),
                       help="folder with UIT-ViCoV19QA_train.csv and UIT-ViCoV19QA_val.csv "
                            "(default: ../shared/bench/vicov19qa)")
        p.add_argument("--out", default=str(settings.REPO / "reports" / "vicov19qa.md"),
                       help="Markdown report; the PNG goes beside it (default: reports/vicov19qa.md)")
        p.add_argument("--work", default=str(settings.REPO / "var" / "vicov19qa"),
                       help="where the corpus and index are built (default: var/vicov19qa, not committed)")
        options.model(p)
        p.add_argument("--reuse-index", action="store_true", help="keep an index already built from the same "
                       "answers and model (only when chunking and indexing code did not change since)")
    elif name == "bench-backends":
        p.add_argument("--onnx-index", default=str(settings.REPO / "var" / "index-onnx"),
                       help="the shipped documents indexed by the ONNX backend (built if missing)")
        p.add_argument("--torch-index", default=str(settings.REPO / "var" / "index-torch"),
                       help="the same indexed by torch (built if missing)")
        p.add_argument("--out", default=str(settings.REPO / "reports" / "onnx-backend-bench.json"),
                       help="the figures as JSON (default: reports/onnx-backend-bench.json)")
        p.add_argument("--skip", default="", help="comma-separated parts to skip: latency,cold,embed")
        p.add_argument("--backends", default="onnx,torch", help="which backends to measure (default: both)")
    elif name == "bench-update":
        p.add_argument("--documents", type=int, default=2000,
                       help="synthetic documents in the large index (default 2000)")
        p.add_argument("--repeat", type=int, default=3, help="runs per index; the median is shown (default 3)")
        p.add_argument("--work", default=str(settings.REPO / "var" / "bench"), help="where the indexes are kept")
        options.model(p)
    elif name == "bench":
        options.engine(p)
        p.add_argument("--gold", default=str(gold_default),
                       help="questions to time (JSON lines with a 'question' field)")
        p.add_argument("--repeat", type=int, default=3, help="passes over the questions")
        p.add_argument("--scale", action="store_true",
                       help="the cost curve instead: indexes of 10k, 100k and 1M clauses (real ones plus "
                            "generated ones), each built, loaded and timed in a new process; writes "
                            "reports/scale.md and its plot (long: the 1M build takes a while)")
        p.add_argument("--sizes", default=",".join(str(n) for n in (10_000, 100_000, 1_000_000)),
                       help="with --scale: the corpus sizes, comma-separated (default 10000,100000,1000000)")
        p.add_argument("--keep-earlier", action="store_true",
                       help="with --scale: the sizes not measured in this run are carried over from the previous "
                            "reports/scale.json, marked as such")
        p.add_argument("--work", default=str(settings.REPO / "var" / "scale"),
                       help="with --scale: where the indexes are built (default: var/scale, not committed)")


def _log(s: str) -> None:
    print(s, file=sys.stderr, flush=True)


def run(args) -> int:
    if args.command == "eval":
        return evaluate(args)
    if args.command == "bench-backends":
        from retrieval.evaluation import backend_bench

        backend_bench.benchmark(args.onnx_index, args.torch_index, Path(args.out),
                                set(filter(None, args.skip.split(","))), args.backends.split(","), log=_log)
        return 0
    if args.command == "bench-update":
        from retrieval.evaluation import update_bench

        return update_bench.run(args)
    if args.command == "vicov19qa":
        from retrieval.evaluation import report, vicov19qa

        ev, md, png = vicov19qa.benchmark(Path(args.data), Path(args.work), Path(args.out), args.model,
                                          args.reuse_index, log=_log)
        print(report.ranking_table(ev, vicov19qa.groups(ev)) + "\n\n" + report.abstention_table(ev))
        print("\n" + vicov19qa.indexing_line(ev))
        print(f"\nReport: {md}\nPlot:   {png}")
        return 0
    if args.scale:
        return scale(args)
    from bot.render import render
    from retrieval.evaluation import bench

    bench.benchmark(render, args.index, args.model, Path(args.gold), args.repeat)
    return 0


def scale(args) -> int:
    from retrieval.evaluation import scale as curve

    from . import UserError

    try:
        sizes = tuple(int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip())
    except ValueError:
        raise UserError(f"--sizes takes whole numbers separated by commas, not '{args.sizes}'") from None
    if not sizes or min(sizes) < 1:
        raise UserError("--sizes needs at least one size of 1 clause or more")
    results = curve.benchmark(sizes, Path(args.work), args.index, args.model, Path(args.gold),
                              curve.DEFAULT_VICOV, args.repeat, render="bot.render:render", log=_log,
                              keep_earlier=args.keep_earlier)
    print(curve.table(results))
    if curve.agreement_table(results):
        print("\nThe approximate index against an exact search over the same vectors:\n"
              + curve.agreement_table(results))
    for size, rows in results["compare"].items():
        print(f"\nDense index choices at {curve.size_of(size):,} clauses:\n" + curve.compare_table(rows))
    print(f"\nReport: {results['report']}\nPlot:   {results['plot']}")
    return 0


def evaluate(args) -> int:
    from retrieval.engine import Engine
    from retrieval.evaluation import gold_file, report, runner

    if args.new_document:
        return new_document(args)
    engine = Engine.load(args.index, args.model)
    ev, md, png = gold_file.evaluate_gold_file(engine, args.gold or runner.DEFAULT_GOLDS, args.split, args.out,
                                               progress=_log)
    print(report.console_summary(ev))
    print(f"\nReport: {md}\nPlot:   {png}")
    broken = runner.check_floors(ev.summary(runner.SHIPPED)) if ev.info.get("floors") else []
    if broken and args.check:
        print("Below the floors: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


def new_document(args) -> int:
    from retrieval import settings
    from retrieval.evaluation import gold_file, new_document, runner

    questions = gold_file.load_golds(args.gold or runner.DEFAULT_GOLDS, args.split)
    rows = new_document.evaluate(questions, Path(args.work), args.model, progress=_log)
    glossary = settings.glossary_path(default_corpus=False) or "none"  # as the indexes are searched
    out = Path(args.out) if args.out else settings.REPO / "reports" / f"eval-{args.split}-new-document.md"
    new_document.write(rows, out, args.split, glossary)
    print(new_document.table(rows) + f"\n\nReport: {out}")
    return 0
