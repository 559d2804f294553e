"""Sentence embeddings with the e5 query/passage convention, NFC text, normalised vectors.

Two backends behind one interface (.name, .dim, .queries(), .passages()): sentence-transformers
on torch (`Embedder`, any model, the reference) and ONNX Runtime for the default model
(onnx_embedding.OnnxEmbedder, no torch in the process). `load_embedder` picks one.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelNotAvailable  # noqa: F401  (raised here; callers import it from here)
from .settings import default_model_dir
from .text import nfc


BACKENDS = ("onnx", "torch")


class TextEmbedder(Protocol):
    """What indexing and search need from a backend; `backend` and `backend_checksum` go into
    the index manifest, so a wrapper (a progress printer, a cache) must pass them on."""

    name: str
    dim: int
    backend: str
    backend_checksum: str | None

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...

    def fits(self, text: str) -> bool: ...


class Embedder:
    """sentence-transformers on torch."""

    backend = "torch"
    backend_checksum: str | None = None  # the model is named by its path in the manifest

    def __init__(self, model: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if Path(model) == default_model_dir() and not Path(model).is_dir():
            raise ModelNotAvailable(
                f"The embedding model is not set up yet ({model}). Run: rulebot setup-model")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError:  # a serving-only install (the image's runtime stage)
            raise ModelNotAvailable("The torch backend needs the model extra: pip install -e '.[model]' "
                                    "(./setup.sh installs it), or use RULEBOT_BACKEND=onnx.") from None

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        try:
            self.model = SentenceTransformer(model, device="cpu")
        except Exception as e:  # a name that is neither a local path nor in the offline cache
            raise ModelNotAvailable(
                f"Cannot load the embedding model '{model}' offline: {e}. Give a local path with "
                "--model or RULEBOT_MODEL, or run: rulebot setup-model") from None
        self.name = model
        dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim())
        prompts = getattr(self.model, "prompts", {}) or {}
        is_e5 = "e5" in Path(model).name.lower()
        self.query_prefix = prompts.get("query", "query: " if is_e5 else "")
        self.passage_prefix = prompts.get("passage", "passage: " if is_e5 else "")

    def _encode(self, texts: list[str], prefix: str, batch_size: int = 32) -> np.ndarray:
        vecs = self.model.encode([prefix + nfc(t) for t in texts], batch_size=batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self.passage_prefix, batch_size)

    def fits(self, text: str) -> bool:
        """Whether the model reads this passage whole (longer ones are truncated)."""
        limit = int(getattr(self.model, "max_seq_length", 0) or 512)
        ids = self.model.tokenizer(self.passage_prefix + nfc(text), add_special_tokens=True,
                                   truncation=False, verbose=False)["input_ids"]
        return len(ids) <= limit

def backend_setting(model: str, backend: str | None = None) -> str:
    """RULEBOT_BACKEND, else onnx for the default converted model and torch for any other."""
    backend = backend or os.environ.get("RULEBOT_BACKEND") or (
        "onnx" if _is_default(model) else "torch")
    if backend not in BACKENDS:
        raise ModelNotAvailable(f"RULEBOT_BACKEND must be one of {', '.join(BACKENDS)}, not '{backend}'.")
    if backend == "onnx" and not _is_default(model):
        raise ModelNotAvailable(f"The ONNX backend exists only for the default model ({default_model_dir()}); "
                                f"for '{model}' set RULEBOT_BACKEND=torch.")
    return backend


def expected_backend(model: str, backend: str | None = None) -> tuple[str, str | None]:
    """(backend, checksum) an index must have been built with to be served with this setting;
    read from the ONNX export's marker, without loading anything."""
    backend = backend_setting(model, backend)
    if backend == "torch":
        return backend, None
    from .onnx_embedding import OnnxMarker, onnx_dir

    marker = OnnxMarker.read(onnx_dir(Path(model)))
    if marker is None:
        raise ModelNotAvailable(f"The ONNX model is not set up yet ({onnx_dir(Path(model))}). "
                                "Run: rulebot setup-model")
    return backend, marker.sha256


def load_embedder(model: str, backend: str | None = None, purpose: str = "serve") -> TextEmbedder:
    """The embedder for `model` on the configured backend. purpose "serve" or "index" only sets
    the ONNX session's threads (one for answering, every core for building an index)."""
    if backend_setting(model, backend) == "torch":
        return Embedder(model)
    from .onnx_embedding import OnnxEmbedder, onnx_dir

    return OnnxEmbedder(onnx_dir(Path(model)), name=model, purpose=purpose)


def _is_default(model: str) -> bool:
    try:
        return Path(model).expanduser().resolve() == default_model_dir().expanduser().resolve()
    except OSError:
        return False
