"""The default model on ONNX Runtime: what serving processes embed questions with.

Imports only onnxruntime, tokenizers and numpy, so a process that answers questions never loads
torch or transformers (seconds of start-up and about half a gigabyte). The model file is made
once at set-up from the converted sentence-transformers model (onnx_export.py): mean pooling and
L2 normalisation are inside the graph, so the output is the sentence embedding itself.

Threads are chosen for a shared two-core machine, by measurement (`rulebot bench-backends`).
Serving runs at most two intra-op threads with spinning off: on a quiet machine a question takes
12.2 / 19.8 ms (p50 / p95) against 16.3 / 30.9 ms on one thread, and beside an index build
17.8 / 32.5 against 16.8 / 31.7 ms; when another process holds the other core, two threads cost
2-6 ms more than one (torch's threads cost hundreds there, because they spin), and a burst of
questions answers about 5% fewer a second. Indexing uses every core.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from .errors import ModelNotAvailable
from .text import nfc

MARKER = "rulebot-onnx.json"
MODEL_FILE = "model.onnx"
MAX_TOKENS = 512  # e5-small's positions, as sentence-transformers truncates
# Indexing batches: texts sorted by token count, then cut so rows × longest row stays under this,
# which bounds the activations whatever the corpus (4 full-length texts, or up to batch_size short
# clauses, per run). On 600 clauses: 23.3, 23.6 and 23.6 passages per CPU-second at 2048, 4096
# and 8192, peak RSS 402, 434 and 586 MB: larger batches buy no speed, only memory.
BATCH_TOKENS = 2048
Purpose = Literal["serve", "index"]


def onnx_dir(model_dir: Path) -> Path:
    """Where the exported model of a converted model directory lives: beside it."""
    model_dir = Path(model_dir).expanduser().resolve()
    return model_dir.with_name(f"{model_dir.name}-onnx-int8")


@dataclass(frozen=True)
class OnnxMarker:
    """Written last by onnx_export once the model passed its check; its presence means usable."""

    exporter: int
    source: str  # fingerprint of the converted model it was made from
    sha256: str  # of model.onnx: recorded in every index built with it
    dim: int
    query_prefix: str
    passage_prefix: str
    min_cosine: float
    mean_cosine: float

    @classmethod
    def read(cls, directory: Path) -> "OnnxMarker | None":
        try:
            raw = json.loads((Path(directory) / MARKER).read_text(encoding="utf-8"))
            return cls(**{k: raw[k] for k in cls.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            return None


def session_threads(purpose: Purpose) -> int:
    cores = max(1, os.cpu_count() or 1)
    return min(2, cores) if purpose == "serve" else cores


class OnnxEmbedder:
    """Same interface as embedding.Embedder: .name, .dim, .queries(), .passages()."""

    backend = "onnx"

    def __init__(self, directory: Path, name: str, purpose: Purpose = "serve"):
        import onnxruntime as ort

        from .unigram import UnigramTokenizer

        directory = Path(directory)
        marker = OnnxMarker.read(directory)
        if marker is None or not (directory / MODEL_FILE).is_file():
            raise ModelNotAvailable(f"The ONNX model is not set up yet ({directory}). Run: rulebot setup-model")
        self.name = name  # the converted model's path: what index manifests name as the model
        self.dim = marker.dim
        self.backend_checksum = marker.sha256
        self.query_prefix, self.passage_prefix = marker.query_prefix, marker.passage_prefix
        self.directory = directory
        self.tokenizer = UnigramTokenizer.load(directory)

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = session_threads(purpose)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(directory / MODEL_FILE), opts,
                                            providers=["CPUExecutionProvider"])

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.full((len(ids), width), self.tokenizer.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, x in enumerate(ids):
            input_ids[row, :len(x)] = x
            mask[row, :len(x)] = 1
        out = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        return np.ascontiguousarray(out, dtype=np.float32)

    def _encode(self, texts: list[str], prefix: str, batch_size: int, on_batch=None,
                once: bool = False) -> np.ndarray:
        """Sorted by token count and cut into batches of bounded size, then put back in order:
        little padding, and memory that does not grow with the longest text times the batch.
        `once`: each distinct text embedded once (a corpus repeats boilerplate: 9% of the clauses
        of ViCoV19QA's answers). Not for questions: int8 activation scales follow the batch, so
        leaving a copy out moves the other vectors slightly, and the FAQ's would change."""
        texts = [nfc(t) for t in texts]
        rows = None
        if once:
            row_of: dict[str, int] = {}
            rows = [row_of.setdefault(t, len(row_of)) for t in texts]
            texts = list(row_of)
        copies = np.ones(len(texts), dtype=np.int64) if rows is None else np.bincount(rows, minlength=len(texts))
        ids = [self.tokenizer.encode(prefix + t, MAX_TOKENS) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            stop = start + 1
            while (stop < len(order) and stop - start < batch_size
                   and (stop - start + 1) * len(ids[order[stop]]) <= BATCH_TOKENS):
                stop += 1
            batch = order[start:stop]
            out[batch] = self._run([ids[i] for i in batch])
            if on_batch:  # progress (progress.in_slices): texts done so far, copies included
                on_batch(int(copies[batch].sum()))
            start = stop
        return out if rows is None else out[rows]

    def queries(self, texts: list[str], on_batch=None) -> np.ndarray:
        return self._encode(texts, self.query_prefix, 32, on_batch)

    def fits(self, text: str) -> bool:
        """Whether the model reads this passage whole (longer ones are truncated)."""
        return len(self.tokenizer.encode(self.passage_prefix + nfc(text), 1 << 30)) <= MAX_TOKENS

    def passages(self, texts: list[str], batch_size: int = 64, on_batch=None) -> np.ndarray:
        return self._encode(texts, self.passage_prefix, batch_size, on_batch, once=True)
