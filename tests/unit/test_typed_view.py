"""A question typed without diacritics is read twice by the model, restored and as typed, and the
hybrid search ranks with the sum (Ranking.typed_weight) while abstention still judges the restored
text's closeness; the dense model alone reads the restored text only. No model: a fake embedder
gives every text its own fixed unit vector."""
from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from retrieval.corpus import Document
from retrieval.faq import Entry
from retrieval.fusion import Ranking
from retrieval.index import build, load
from retrieval.search import Retriever
from retrieval.types import Source


class RecordingEmbedder:
    name, dim, backend, backend_checksum = "fake", 16, "torch", None

    def __init__(self):
        self.asked: list[list[str]] = []

    def vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def passages(self, texts, batch_size=32, on_batch=None):
        return np.vstack([self.vector(t) for t in texts])

    def queries(self, texts, on_batch=None):
        self.asked.append(list(texts))
        return np.vstack([self.vector(t) for t in texts])

    def fits(self, text):
        return True


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    text = "\n\n".join(["Điều 1. Người dân ra ngoài phải đeo khẩu trang.",
                        "Điều 2. Quán nhậu tạm dừng hoạt động.",
                        "Điều 3. Chợ dân sinh mở cửa đến 21 giờ."])
    doc = Document(Source("a", "Chỉ thị a", "directive", "UBND", None, "Hà Nội"), text)
    faq = [Entry("a", "Quán nhậu tạm dừng hoạt động.", ("quan nhau co duoc ban khong",))]
    path = tmp_path_factory.mktemp("typed") / "index"
    build([doc], RecordingEmbedder(), path, faq=faq)
    return load(path)


def test_a_question_typed_without_diacritics_ranks_with_both_readings_and_is_judged_on_the_restored(
        index, monkeypatch):
    from retrieval import candidates

    embedder = RecordingEmbedder()
    retriever = Retriever(index, embedder)
    q = retriever.prepare("quan nhau co mo cua khong")
    assert not q.had_diacritics and q.dense_text != q.text  # the restorer put accents back
    searched = []
    real_dense = candidates.dense
    monkeypatch.setattr(candidates, "dense", lambda idx, vec, n: searched.append(vec) or real_dense(idx, vec, n))

    result = retriever.search(q, mode="hybrid")

    assert embedder.asked == [[q.dense_text, q.text]]  # one batch of two
    restored, typed = embedder.vector(q.dense_text), embedder.vector(q.text)
    mixed = restored + Ranking().typed_weight * typed
    np.testing.assert_allclose(searched[0], mixed / np.linalg.norm(mixed), atol=1e-6)  # ranks with both
    top = next(i for i, c in enumerate(index.chunks) if c.id == result.hits[0].chunk.id)
    clause = embedder.vector(index_passages(index)[top])
    assert result.best_cosine == pytest.approx(float(clause @ restored), abs=1e-5)  # the bar reads one


def test_a_question_with_diacritics_the_dense_model_alone_and_weight_zero_read_one_text(index):
    for question, mode, ranking in [("quán nhậu có mở cửa không", "hybrid", Ranking()),
                                    ("quan nhau co mo cua khong", "dense", Ranking()),
                                    ("quan nhau co mo cua khong", "hybrid", replace(Ranking(), typed_weight=0.0))]:
        embedder = RecordingEmbedder()
        retriever = Retriever(index, embedder, ranking)
        q = retriever.prepare(question)
        retriever.search(q, mode=mode)
        assert embedder.asked == [[q.dense_text]], (question, mode, ranking.typed_weight)


def test_with_one_reading_the_clauses_cosines_are_read_once(index, monkeypatch):
    reconstructed = []

    class Watched:  # the FAISS index, counting the stored vectors read back for a second look
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def reconstruct_batch(self, ids):
            reconstructed.append(len(ids))
            return self.inner.reconstruct_batch(ids)

    monkeypatch.setattr(index, "dense", Watched(index.dense))
    Retriever(index, RecordingEmbedder()).search("quán nhậu có mở cửa không", mode="hybrid")
    assert reconstructed == []
    Retriever(index, RecordingEmbedder()).search("quan nhau co mo cua khong", mode="hybrid")
    assert reconstructed  # the restored reading's cosines, for the bar


def index_passages(index) -> list[str]:
    from retrieval.index import passage_text
    return [passage_text(c, index.sources[c.source_id]) for c in index.chunks]
