"""Sentence embeddings with the e5 query/passage convention, NFC text, normalised vectors."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .settings import default_model_dir
from .text import nfc


class ModelNotAvailable(RuntimeError):
    """The configured model cannot be loaded offline; the message says what to run."""


class Embedder:
    def __init__(self, model: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if Path(model) == default_model_dir() and not Path(model).is_dir():
            raise ModelNotAvailable(
                f"The embedding model is not set up yet ({model}). Run: rulebot setup-model")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

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
