"""Shared by every tier. The tiers, by cost:

    tests/unit/         no model, no index: milliseconds each
    tests/channels/     fake Bot API servers on 127.0.0.1 and a fake engine, no model
    tests/integration/  the real converted model and an index built once per session
    tests/browser/      real Chromium against the officials' console (and the real model, for the loop)

`pytest -q` runs them all; `pytest tests/unit tests/channels` is the quick loop.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RULEBOT_OFFICIALS_FAQ", "")  # the shipped FAQ only, whatever officials added in var/
# the shipped documents only, whatever a developer added to var/documents
os.environ.setdefault("RULEBOT_DOCUMENTS", os.path.join(tempfile.mkdtemp(prefix="rulebot-tests-"), "documents"))
REPO = Path(__file__).resolve().parent.parent


# --- the real model and index (integration and browser tiers; built once, only when asked for) ---
@pytest.fixture(scope="session")
def model_dir() -> Path:
    from retrieval import settings
    from retrieval.onnx_export import ensure_default_model

    return ensure_default_model(settings.default_model_dir())  # converted, and exported to ONNX


@pytest.fixture(scope="session")
def embedder(model_dir):
    """The configured backend (RULEBOT_BACKEND; ONNX Runtime by default), as serving uses it."""
    from retrieval.embedding import load_embedder

    return load_embedder(str(model_dir), purpose="index")


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
    from retrieval.search import Retriever

    index = load(index_dir, model=embedder.name, backend=(embedder.backend, embedder.backend_checksum))  # the shipped configuration, as Engine.load builds it
    return Engine(index, Retriever(index, embedder, glossary=Glossary.load(settings.DEFAULT_GLOSSARY)))
