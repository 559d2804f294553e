"""Speed and memory figures, printed, never asserted.

Warm latency of the whole answer path (question → rendered reply) over 100 varied questions,
with a lexical-only search in the same run as the reference; cold start (a new process, from
its start to its first printed answer); index build time; peak RSS of both processes.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import settings
from ..progress import track

N_QUESTIONS = 100


DEFAULT_GOLD = settings.REPO / "data" / "gold" / "questions.jsonl"


def questions(gold: Path, n: int = N_QUESTIONS) -> list[str]:
    """A fixed, varied sample: every k-th gold question (answerable, off-topic, with and without accents)."""
    qs = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, len(qs) // n)
    return qs[::step][:n]


def cold_start(command: list[str]) -> tuple[float, float]:
    """Seconds from launching `command` (a `rulebot ask …`) to its answer appearing on stdout
    (interpreter start, imports, index and model loading, the answer; not the process's own
    teardown), and the process's peak RSS in MB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    seconds = time.perf_counter() - t0
    rest, err = proc.communicate()
    if proc.returncode != 0 or not first:
        raise RuntimeError(f"rulebot ask failed: {err.strip()}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def benchmark(render, index: str | None = None, model: str | None = None, gold: Path = DEFAULT_GOLD,
              repeat: int = 3, out=print) -> None:
    """Print the figures. `render` turns an Answer into the reply text (the channel's last step,
    part of the answer path); the cold start runs `rulebot ask` in a new process."""
    from .. import faq
    from ..engine import Engine
    from ..index import build

    qs = questions(Path(gold))
    index_dir = settings.index_dir(index)
    model = settings.model_setting(model)
    cold_s, child_rss = cold_start([sys.executable, "-m", "bot.cli", "ask", "--index", str(index_dir),
                                    "--model", model, qs[0]])
    engine = Engine.load(index_dir, model)
    for q in qs[:10]:  # warm-up: first calls pay for lazy initialisation
        render(engine.answer(q))
        engine.search(q, mode="lexical")

    full, lexical = [], []
    for q in track([q for _ in range(repeat) for q in qs], "questions timed"):
        t = time.perf_counter()
        render(engine.answer(q))
        full.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        engine.search(q, k=5, mode="lexical")
        lexical.append((time.perf_counter() - t) * 1000)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        docs, entries = faq.curated()
        build(docs, engine.retriever.embedder, Path(tmp) / "index", corpus_name="manifest", faq=entries,
              progress=True)
        build_s = time.perf_counter() - t
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    p50, p95 = percentiles(full)
    l50, l95 = percentiles(lexical)
    out(f"questions: {len(qs)} × {repeat} passes, model: {model}")
    out(f"{'':34}{'p50 ms':>9}{'p95 ms':>9}")
    out(f"{'answer path (hybrid + render)':34}{p50:9.1f}{p95:9.1f}")
    out(f"{'lexical-only search (reference)':34}{l50:9.2f}{l95:9.2f}")
    out(f"{'ratio answer / lexical':34}{p50 / max(l50, 1e-6):9.0f}{p95 / max(l95, 1e-6):9.0f}")
    out(f"cold start (new process → answer printed): {cold_s:.2f} s")
    out(f"index build ({len(engine.index.chunks)} clauses, model loaded): {build_s:.2f} s")
    out(f"peak RSS: serving process {child_rss:.0f} MB; this process (incl. a build) {self_rss:.0f} MB")
