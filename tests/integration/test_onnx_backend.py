"""The ONNX Runtime backend: agrees with sentence-transformers, keeps torch out of serving
processes, is recorded in the index manifest, and is made once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def onnx_model(model_dir) -> Path:
    from retrieval.onnx_export import ensure_onnx

    return ensure_onnx(model_dir)


@pytest.fixture(scope="session")
def onnx_embedder(onnx_model, model_dir):
    from retrieval.embedding import load_embedder

    return load_embedder(str(model_dir), backend="onnx", purpose="index")


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory, onnx_embedder) -> Path:
    """A three-document corpus indexed with the ONNX backend: seconds, not a minute."""
    from retrieval.corpus import load_jsonl
    from retrieval.index import build

    work = tmp_path_factory.mktemp("onnx")
    corpus = work / "corpus.jsonl"
    docs = [
        {"id": "mask", "title": "Khẩu trang", "text": "Người dân bắt buộc đeo khẩu trang khi ra khỏi nhà."},
        {"id": "food", "title": "Ăn uống", "text": "Nhà hàng, quán ăn chỉ được bán mang về, không phục vụ tại chỗ."},
        {"id": "work", "title": "Công sở", "text": "Cán bộ, công chức làm việc tại nhà, trừ trường hợp cần thiết."},
    ]
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    build(load_jsonl(corpus), onnx_embedder, work / "index", corpus_name=str(corpus))
    return work / "index"


def test_onnx_matches_sentence_transformers(onnx_model, model_dir):
    """The set-up check, run again: every text of the sample close, the sample very close, and
    the compact tokenizer reads every shipped text exactly as tokenizers does."""
    from retrieval.onnx_export import MEAN_COSINE, MIN_COSINE, compare

    a = compare(onnx_model, model_dir)
    assert a.texts >= 50
    assert a.min_cosine >= MIN_COSINE, a
    assert a.mean_cosine >= MEAN_COSINE, a
    assert a.token_mismatches == 0


def test_onnx_embedder_output(onnx_embedder):
    q = onnx_embedder.queries(["toi co duoc ra ngoai khong", "Quán ăn có được mở cửa không?"])
    p = onnx_embedder.passages(["Người dân hạn chế ra khỏi nhà."] * 3 + ["dài " * 600])
    assert q.dtype == np.float32 and q.shape == (2, onnx_embedder.dim)
    assert p.shape == (4, onnx_embedder.dim)
    assert np.allclose(np.linalg.norm(np.vstack([q, p]), axis=1), 1.0, atol=1e-4)
    assert np.allclose(p[0], p[1])  # order restored after sorting by length


def test_a_repeated_text_is_embedded_once_and_every_copy_gets_its_vector(onnx_embedder, monkeypatch):
    texts = ["Nhà hàng chỉ bán mang về.", "Cán bộ làm việc tại nhà.", "Nhà hàng chỉ bán mang về.",
             "Người dân đeo khẩu trang.", "Cán bộ làm việc tại nhà."]
    distinct = onnx_embedder.passages(list(dict.fromkeys(texts)))  # int8 scales follow the batch
    rows_run, done = [], []
    run = onnx_embedder._run
    monkeypatch.setattr(onnx_embedder, "_run", lambda ids: rows_run.append(len(ids)) or run(ids))
    together = onnx_embedder.passages(texts, on_batch=done.append)
    assert sum(rows_run) == 3 and sum(done) == len(texts)  # progress counts every copy
    assert together.shape == (5, onnx_embedder.dim)
    assert np.array_equal(together, distinct[[0, 1, 0, 2, 1]])


def test_serving_imports_neither_torch_nor_transformers(tiny_index, model_dir):
    """A process that loads the Engine and answers a question never imports the torch stack,
    and the first question (typed without diacritics) imports nothing: all of it is load time."""
    code = (
        "import sys\n"
        "from retrieval.engine import Engine\n"
        f"e = Engine.load({str(tiny_index)!r}, {str(model_dir)!r})\n"
        "loaded = set(sys.modules)\n"
        "a = e.answer('co phai deo khau trang khong')\n"
        "assert set(sys.modules) == loaded, sorted(set(sys.modules) - loaded)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'transformers', 'sentence_transformers', 'sklearn', 'sklearn_crfsuite'))\n"
        "print(a.status, e.retriever.embedder.backend, heavy)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("RULEBOT_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    status, backend, heavy = out.stdout.strip().split(" ", 2)
    assert backend == "onnx"
    assert heavy == "[]"
    assert status in ("answered", "no_match")


def test_manifest_records_backend_and_refuses_another(tiny_index, onnx_embedder, monkeypatch):
    from retrieval.engine import Engine
    from retrieval.index import IndexNotUsable, load

    manifest = json.loads((tiny_index / "manifest.json").read_text())
    assert manifest["backend"] == "onnx"
    assert manifest["backend_checksum"] == onnx_embedder.backend_checksum
    load(tiny_index, model=onnx_embedder.name, backend=("onnx", onnx_embedder.backend_checksum))

    with pytest.raises(IndexNotUsable) as e:
        load(tiny_index, model=onnx_embedder.name, backend=("torch", None))
    assert f"RULEBOT_BACKEND=torch rulebot index --index {tiny_index} --model {onnx_embedder.name}" in str(e.value)
    with pytest.raises(IndexNotUsable, match="another export of the ONNX model"):
        load(tiny_index, model=onnx_embedder.name, backend=("onnx", "0" * 64))
    monkeypatch.setenv("RULEBOT_BACKEND", "torch")  # what an operator switching backends does
    with pytest.raises(IndexNotUsable, match="RULEBOT_BACKEND=torch rulebot index"):
        Engine.load(tiny_index, onnx_embedder.name)


def test_backend_setting(model_dir, monkeypatch):
    from retrieval.embedding import ModelNotAvailable, backend_setting

    monkeypatch.delenv("RULEBOT_BACKEND", raising=False)
    assert backend_setting(str(model_dir)) == "onnx"
    assert backend_setting("intfloat/multilingual-e5-base") == "torch"
    monkeypatch.setenv("RULEBOT_BACKEND", "torch")
    assert backend_setting(str(model_dir)) == "torch"
    monkeypatch.setenv("RULEBOT_BACKEND", "tensorflow")
    with pytest.raises(ModelNotAvailable, match="onnx, torch"):
        backend_setting(str(model_dir))
    with pytest.raises(ModelNotAvailable, match="RULEBOT_BACKEND=torch"):
        backend_setting("intfloat/multilingual-e5-base", "onnx")


def test_ensure_onnx_is_idempotent(onnx_model, model_dir):
    from retrieval.onnx_export import _marker_ok, ensure_onnx, fingerprint
    from retrieval.onnx_embedding import MARKER, MODEL_FILE

    before = {f: (onnx_model / f).stat().st_mtime_ns for f in (MARKER, MODEL_FILE)}
    t = time.perf_counter()
    assert ensure_onnx(model_dir) == onnx_model
    assert time.perf_counter() - t < 5  # read the marker, no export
    assert {f: (onnx_model / f).stat().st_mtime_ns for f in (MARKER, MODEL_FILE)} == before
    assert _marker_ok(onnx_model, fingerprint(model_dir))
    assert not _marker_ok(onnx_model, "another converted model")  # a re-converted model is exported again
