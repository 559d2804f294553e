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
    from bot.render import render
    from retrieval.evaluation import bench

    bench.benchmark(render, args.index, args.model, Path(args.gold), args.repeat)
    return 0


def evaluate(args) -> int:
    from retrieval.engine import Engine
    from retrieval.evaluation import gold_file, report, runner

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
