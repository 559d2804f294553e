"""The FAISS index kind by corpus size, recorded in the manifest and read back (no model)."""
from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from retrieval import dense_index
from retrieval.corpus import Document
from retrieval.types import Source


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_exact_up_to_the_threshold_and_a_graph_above():
    assert dense_index.kind_for(174) == "flat"
    assert dense_index.kind_for(dense_index.FLAT_UP_TO) == "flat"
    assert dense_index.kind_for(dense_index.FLAT_UP_TO + 1) == "hnsw"


def test_the_graph_finds_what_the_exact_search_finds_and_keeps_every_vector_whole():
    vectors = unit_vectors(3000)
    graph, info = dense_index.make(vectors, "hnsw")
    exact, flat_info = dense_index.make(vectors, "flat")
    assert info["kind"] == "hnsw" and flat_info == {"kind": "flat"}
    assert faiss.downcast_index(graph).hnsw.efSearch == dense_index.HNSW_EF_SEARCH
    queries = unit_vectors(20, seed=1)
    _, want = exact.search(queries, 10)
    _, got = graph.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(want, got)])
    assert recall > 0.95
    ids = np.array([5, 2999, 17])
    assert np.array_equal(graph.reconstruct_batch(ids), vectors[ids])  # exact cosines for fusion


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        dense_index.make(unit_vectors(3), "lsh")


class FakeEmbedder:
    name, dim = "fake", 16

    def passages(self, texts, batch_size=32):
        return unit_vectors(len(texts), seed=len(texts))

    def queries(self, texts):
        return unit_vectors(len(texts), seed=7)


def test_a_large_corpus_is_indexed_as_a_graph_recorded_in_the_manifest_and_loaded_as_such(tmp_path, monkeypatch):
    from retrieval.index import build, load

    monkeypatch.setattr(dense_index, "FLAT_UP_TO", 5)
    text = "\n\n".join(f"Điều {i}. Người dân ra ngoài lần thứ {i} phải đeo khẩu trang." for i in range(12))
    docs = [Document(Source("s", "Chỉ thị", "directive", "UBND", None, "Hà Nội"), text)]
    manifest = build(docs, FakeEmbedder(), tmp_path / "index")
    assert manifest["dense_index"]["kind"] == "hnsw" and manifest["chunks"] > 5
    mf = tmp_path / "index" / "manifest.json"
    recorded = json.loads(mf.read_text())
    assert recorded["dense_index"]["ef_search"] == dense_index.HNSW_EF_SEARCH
    recorded["dense_index"]["ef_search"] = 77  # what the manifest says is what the search uses
    mf.write_text(json.dumps(recorded))
    assert faiss.downcast_index(load(tmp_path / "index").dense).hnsw.efSearch == 77


def test_an_index_from_before_the_choice_loads_as_flat(tmp_path):
    from retrieval.index import build, load

    docs = [Document(Source("s", "Chỉ thị", "directive", "UBND", None, "Hà Nội"), "Người dân ở nhà.")]
    build(docs, FakeEmbedder(), tmp_path / "index")
    mf = tmp_path / "index" / "manifest.json"
    old = json.loads(mf.read_text())
    del old["dense_index"]
    mf.write_text(json.dumps(old))
    assert isinstance(load(tmp_path / "index").dense, faiss.IndexFlatIP)
