"""Serving and indexing figures for the two embedding backends, measured in one run.

    rulebot bench-backends          (figures to reports/onnx-backend-bench.json, a table with ratios)

Each figure comes from a fresh process, so one backend's imports never flatter the other's:
  * answer path: Engine.answer over every 3rd gold question (about 140), p50/p95, warm, alone
    and while another process rebuilds the index (ONNX backend, all cores), for ONNX with one and
    two session threads and for torch with its default threads and with torch.set_num_threads(1);
  * cold start: `python -m bot.cli ask` from launch to the answer on stdout, its peak RSS and CPU;
  * indexing: passages embedded per second (the shipped clauses plus ViCoV19QA answers when
    ../shared/bench is there), and the peak RSS of that process.
The machine is shared: the load average is printed with every figure, and configurations are
interleaved so a busy minute does not fall on one backend only.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..progress import working

REPO = Path(__file__).resolve().parents[2]
WORKER = "retrieval.evaluation.backend_bench"
PY = sys.executable
TITLE = "Hỏi đáp về COVID-19"  # the heading `rulebot vicov19qa` gives its passages


def _load() -> float:
    return os.getloadavg()[0]


def _env(backend: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "RULEBOT_BACKEND": backend}


def gold_questions(step: int = 3) -> list[str]:
    path = REPO / "data" / "gold" / "questions.jsonl"
    qs = [json.loads(x)["question"] for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return qs[::step]


def bench_passages(limit: int = 1000) -> list[str]:
    """The shipped clauses as the index reads them, then ViCoV19QA answers up to `limit`."""
    from .. import faq
    from ..chunking import chunk_document
    from ..index import passage_text

    docs, _ = faq.curated()
    by_id = {d.source.id: d.source for d in docs}
    texts = [passage_text(c, by_id[c.source_id]) for d in docs for c in chunk_document(d.source.id, d.text)]
    vicov = REPO.parent / "shared" / "bench" / "vicov19qa" / "UIT-ViCoV19QA_train.csv"
    if not vicov.is_file():
        vicov = Path("/work/shared/bench/vicov19qa/UIT-ViCoV19QA_train.csv")
    if vicov.is_file():  # chunked as `rulebot vicov19qa` indexes them
        with vicov.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="|"):
                answer = (row.get("Answer_1") or "").strip()
                if answer:
                    texts += [f"{TITLE}: {c.text}" for c in chunk_document(row["id"], answer)]
                if len(texts) >= limit:
                    break
    return texts[:limit]


# ----------------------------------------------------------------------------- worker processes
def worker_latency(args) -> dict:
    import numpy as np

    if args.torch_threads:
        import torch
        torch.set_num_threads(args.torch_threads)
    if args.onnx_threads:
        from .. import onnx_embedding
        onnx_embedding.session_threads = lambda purpose: args.onnx_threads
    from ..engine import Engine

    engine = Engine.load(args.index)
    qs = gold_questions()
    for q in qs[:10]:
        engine.answer(q)
    if args.wait_for:  # the competing process signals it is embedding
        deadline = time.time() + 120
        while not Path(args.wait_for).exists() and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
    ms, cpu, load0 = [], [], _load()
    for _ in range(args.repeat):
        for q in qs:
            t, c = time.perf_counter(), time.process_time()  # CPU of every thread of the process
            engine.answer(q)
            ms.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    pct = lambda xs, p: round(float(np.percentile(xs, p)), 1)  # noqa: E731
    return {"p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "max_ms": round(max(ms), 1),
            "cpu_p50_ms": pct(cpu, 50), "cpu_p95_ms": pct(cpu, 95), "n": len(ms),
            "load": round((load0 + _load()) / 2, 1), "backend": engine.retriever.embedder.backend}


def worker_embed(args) -> dict:
    import resource

    from ..embedding import load_embedder
    from ..settings import model_setting

    texts = bench_passages(args.passages)
    embedder = load_embedder(model_setting(), purpose="index")
    embedder.passages(texts[:16])  # warm-up
    load0, t, c = _load(), time.perf_counter(), time.process_time()
    embedder.passages(texts)
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    return {"passages": len(texts), "seconds": round(dt, 1), "per_s": round(len(texts) / dt, 1),
            "per_cpu_s": round(len(texts) / cpu, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load": round((load0 + _load()) / 2, 1), "backend": embedder.backend}


def worker_compete(args) -> None:
    """An index build, repeated until killed; touches `ready` once the first embedding starts."""
    from .. import faq
    from ..embedding import load_embedder
    from ..index import build
    from ..settings import model_setting

    embedder = load_embedder(model_setting(), purpose="index")
    inner = embedder.passages

    def passages(texts, *a, **k):
        Path(args.ready).touch()
        return inner(texts, *a, **k)

    embedder.passages = passages
    docs, entries = faq.curated()
    with tempfile.TemporaryDirectory() as tmp:
        while True:
            build(docs, embedder, Path(tmp) / "index", corpus_name="manifest", faq=entries)


# ------------------------------------------------------------------------------------- driver
def _run_worker(argv: list[str], backend: str) -> dict:
    out = subprocess.run([PY, "-m", WORKER, *argv], capture_output=True, text=True,
                         env=_env(backend), cwd=REPO, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"{argv}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def latency(backend: str, index: str, loaded: bool, torch_threads: int = 0, onnx_threads: int = 0,
            repeat: int = 2) -> dict:
    argv = ["latency", "--index", index, "--repeat", str(repeat)]
    if torch_threads:
        argv += ["--torch-threads", str(torch_threads)]
    if onnx_threads:
        argv += ["--onnx-threads", str(onnx_threads)]
    if not loaded:
        return _run_worker(argv, backend)
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        rival = subprocess.Popen([PY, "-m", WORKER, "compete", "--ready", str(ready)],
                                 env=_env("onnx"), cwd=REPO, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            return _run_worker(argv + ["--wait-for", str(ready)], backend)
        finally:
            os.killpg(rival.pid, signal.SIGTERM)
            rival.wait()


def cold_start(backend: str, index: str, question: str, runs: int = 3) -> dict:
    """Median over runs of: wall seconds to the answer's first line, peak RSS, CPU seconds."""
    rows = []
    for _ in range(runs):
        load0, t = _load(), time.perf_counter()
        proc = subprocess.Popen([PY, "-m", "bot.cli", "ask", "--index", index, question],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=_env(backend), cwd=REPO)
        first = proc.stdout.readline()
        seconds = time.perf_counter() - t
        proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0 or not first:
            raise RuntimeError(f"rulebot ask failed: {proc.stderr.read()[-2000:]}")
        rows.append((seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, load0))
    rows.sort()
    s, rss, cpu, load = rows[len(rows) // 2]
    return {"seconds": round(s, 2), "seconds_all": [round(r[0], 2) for r in rows], "rss_mb": round(rss),
            "cpu_s": round(cpu, 2), "load": round(load, 1)}


def ensure_indexes(indexes: dict[str, str], log) -> None:
    """Each backend's index of the shipped documents, built (by that backend) when missing or stale."""
    for backend, path in indexes.items():
        with working(f"the {backend} index at {path}, built if missing or stale"):
            out = subprocess.run([PY, "-m", "bot.cli", "setup", "--index", path], env=_env(backend), cwd=REPO,
                                 capture_output=True, text=True, timeout=3600)
        if out.returncode != 0:
            raise RuntimeError(f"building the {backend} index: {out.stderr[-2000:]}")
        log(f"{backend} index: {path}")


def ratios(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, onnx, torch, onnx/torch) rows for the table printed at the end."""
    rows = []
    pairs = [("answer p50 ms", "latency onnx 2 threads", "latency torch default threads", "p50_ms"),
             ("answer p95 ms", "latency onnx 2 threads", "latency torch default threads", "p95_ms"),
             ("answer p50 ms, index build beside", "latency onnx 2 threads + concurrent index build",
              "latency torch default threads + concurrent index build", "p50_ms"),
             ("answer p95 ms, index build beside", "latency onnx 2 threads + concurrent index build",
              "latency torch default threads + concurrent index build", "p95_ms"),
             ("cold start s (ask, to the first line)", "cold start onnx", "cold start torch", "seconds"),
             ("cold start peak RSS MB", "cold start onnx", "cold start torch", "rss_mb"),
             ("passages embedded per s", "embed onnx", "embed torch", "per_s"),
             ("indexing peak RSS MB", "embed onnx", "embed torch", "peak_rss_mb")]
    for label, a, b, key in pairs:
        x, y = results.get(a, {}).get(key), results.get(b, {}).get(key)
        if x is None and y is None:
            continue
        ratio = f"{x / y:.2f}" if x is not None and y else ""
        rows.append((label, "" if x is None else str(x), "" if y is None else str(y), ratio))
    return rows


def benchmark(onnx_index: str, torch_index: str, out: Path | None, skip: set[str], backends: list[str],
              log=print) -> dict:
    """Every figure in one run, backends interleaved; returns them and prints a table with ratios."""
    idx = {"onnx": onnx_index, "torch": torch_index}
    ensure_indexes({b: idx[b] for b in backends}, log)
    results: dict = {"cpus": os.cpu_count()}
    say = lambda k, v: log(f"{k}: {json.dumps(v)}")  # noqa: E731
    if "latency" not in skip:
        configs = [("onnx 2 threads", "onnx", 0, 2), ("onnx 1 thread", "onnx", 0, 1),
                   ("torch default threads", "torch", 0, 0), ("torch 1 thread", "torch", 1, 0)]
        configs = [c for c in configs if c[1] in backends]
        for loaded in (False, True):
            for name, backend, tt, ot in configs:
                key = f"latency {name}{' + concurrent index build' if loaded else ''}"
                with working(key):  # a worker's minute is not silent
                    results[key] = latency(backend, idx[backend], loaded, tt, ot)
                say(key, results[key])
    if "cold" not in skip:
        q = "toi co duoc ra ngoai khong"
        for backend in backends:
            with working(f"cold start {backend}"):
                results[f"cold start {backend}"] = cold_start(backend, idx[backend], q)
            say(f"cold start {backend}", results[f"cold start {backend}"])
    if "embed" not in skip:
        for backend in (backends + ["onnx"] if len(backends) > 1 else backends):
            key = f"embed {backend}" + (" (again)" if f"embed {backend}" in results else "")
            with working(key):
                results[key] = _run_worker(["embed"], backend)
            say(key, results[key])
    if out:
        Path(out).write_text(json.dumps(results, indent=2) + "\n")
    log("\n| figure | onnx | torch | onnx / torch |\n|---|--:|--:|--:|")
    for row in ratios(results):
        log("| " + " | ".join(row) + " |")
    return results


def main(argv: list[str] | None = None) -> int:
    """The worker processes the benchmark starts (one figure each, printed as JSON)."""
    ap = argparse.ArgumentParser(prog=f"python -m {WORKER}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("latency")
    p.add_argument("--index", required=True)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--torch-threads", type=int, default=0)
    p.add_argument("--onnx-threads", type=int, default=0)
    p.add_argument("--wait-for")
    p = sub.add_parser("embed")
    p.add_argument("--passages", type=int, default=1000)
    p = sub.add_parser("compete")
    p.add_argument("--ready", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "latency":
        print(json.dumps(worker_latency(args)))
    elif args.cmd == "embed":
        print(json.dumps(worker_embed(args)))
    else:
        worker_compete(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
