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
    assert dense_index.kind_for(dense_index.FLAT_UP_TO + 1) == "ivf"


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_an_approximate_index_finds_what_the_exact_search_finds_and_keeps_every_vector_whole(kind):
    rng = np.random.default_rng(3)
    centres = unit_vectors(40, seed=2)  # clustered, as sentence embeddings are
    vectors = centres[rng.integers(40, size=3000)] + 0.3 * unit_vectors(3000)
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    approx, info = dense_index.make(vectors, kind)
    exact, flat_info = dense_index.make(vectors, "flat")
    assert info["kind"] == kind and flat_info == {"kind": "flat"}
    queries = vectors[:20] + 0.1 * unit_vectors(20, seed=1)
    _, want = exact.search(queries, 10)
    _, got = approx.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(want, got)])
    assert recall > 0.9
    ids = np.array([5, 2999, 17])
    assert np.array_equal(approx.reconstruct_batch(ids), vectors[ids])  # exact cosines for fusion


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        dense_index.make(unit_vectors(3), "lsh")


class FakeEmbedder:
    name, dim, backend, backend_checksum = "fake", 16, "torch", None

    def passages(self, texts, batch_size=32):
        return unit_vectors(len(texts), seed=len(texts))

    def queries(self, texts):
        return unit_vectors(len(texts), seed=7)

    def fits(self, text):  # a whole document of many articles is too long: one section per paragraph
        return len(text) < 100


def test_a_large_corpus_gets_an_approximate_index_recorded_in_the_manifest_and_loaded_as_such(tmp_path, monkeypatch):
    from retrieval.index import build, load

    monkeypatch.setattr(dense_index, "FLAT_UP_TO", 5)
    text = "\n\n".join(f"Điều {i}. Người dân ra ngoài lần thứ {i} phải đeo khẩu trang." for i in range(12))
    docs = [Document(Source("s", "Chỉ thị", "directive", "UBND", None, "Hà Nội"), text)]
    manifest = build(docs, FakeEmbedder(), tmp_path / "index")
    assert manifest["dense_index"]["kind"] == "ivf" and manifest["chunks"] > 5
    mf = tmp_path / "index" / "manifest.json"
    recorded = json.loads(mf.read_text())
    recorded["dense_index"]["nprobe"] = 1  # what the manifest says is what the search uses
    mf.write_text(json.dumps(recorded))
    index = load(tmp_path / "index")
    assert faiss.downcast_index(index.dense).nprobe == 1
    assert index.dense.reconstruct_batch(np.array([0, 1])).shape == (2, 16)  # cosines for fusion
    assert manifest["section_index"]["kind"] == "ivf" and len(index.sections) == manifest["sections"] > 5
    assert faiss.downcast_index(index.sections.dense).nprobe == manifest["section_index"]["nprobe"]
    assert index.sections.cosines(np.array([0, 2]), np.ones(16, np.float32)).shape == (2,)


def test_the_exact_twin_holds_the_same_vectors():
    vectors = unit_vectors(3000)
    for kind in ("flat", "hnsw", "ivf"):
        index = dense_index.make(vectors, kind)[0]  # a graph's twin is its storage: keep the graph
        twin = dense_index.exact_twin(index)
        assert isinstance(twin, faiss.IndexFlat) and twin.ntotal == 3000
        assert np.array_equal(twin.reconstruct_n(0, 3000), vectors)


def test_an_index_from_before_the_choice_loads_as_flat(tmp_path):
    from retrieval.index import build, load

    docs = [Document(Source("s", "Chỉ thị", "directive", "UBND", None, "Hà Nội"), "Người dân ở nhà.")]
    build(docs, FakeEmbedder(), tmp_path / "index")
    mf = tmp_path / "index" / "manifest.json"
    old = json.loads(mf.read_text())
    del old["dense_index"], old["section_index"]
    mf.write_text(json.dumps(old))
    index = load(tmp_path / "index")
    assert isinstance(index.dense, faiss.IndexFlatIP) and isinstance(index.sections.dense, faiss.IndexFlatIP)


def test_an_ivf_index_keeps_vectors_by_position_and_its_settings_after_a_round_trip(tmp_path):
    vectors = unit_vectors(4000)
    index, info = dense_index.make(vectors, "ivf")
    assert info == {"kind": "ivf", "nlist": 100, "nprobe": 100}  # 4·√n lists, but 40 vectors each to train
    faiss.write_index(index, str(tmp_path / "dense.faiss"))
    loaded = dense_index.ready(faiss.read_index(str(tmp_path / "dense.faiss")), {**info, "nprobe": 9})
    assert faiss.downcast_index(loaded).nprobe == 9
    ids = np.array([3, 3999])
    assert np.array_equal(loaded.reconstruct_batch(ids), vectors[ids])
