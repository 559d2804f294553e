"""The time to add one document to the shipped index and to one of
2,000+ documents, side by side, to show an update costs what the new document costs.

The large index is made once (var/bench/update-index, reused afterwards): the five shipped
documents plus N synthetic ones built from their sentences, with random unit vectors standing
in for embeddings (what is measured is the update, not the model). Its BM25 tokens and accent
counts are real (pyvi), so an update does on it exactly what it does on the shipped index.
Each measurement stages the same new document (the real model embeds its clauses) and throws
the staged generation away; the median of `--repeat` runs is printed with its breakdown.
"""
from __future__ import annotations

import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from .. import settings

NEW_DOCUMENT = """CHỈ THỊ
Về tăng cường phòng, chống dịch sốt xuất huyết

Để chủ động phòng, chống dịch sốt xuất huyết trong mùa mưa, Chủ tịch UBND Thành phố yêu cầu các sở, ngành, UBND các quận, huyện thực hiện nghiêm các nội dung sau:

1. Các phường, xã tổ chức chiến dịch vệ sinh môi trường, thu gom, tiêu hủy vật dụng phế thải có thể chứa nước tại các khu dân cư, công trình xây dựng, trường học và cơ quan.

2. Mỗi hộ gia đình tự kiểm tra, diệt lăng quăng, bọ gậy trong các dụng cụ chứa nước quanh nhà mỗi tuần một lần; úp ngược các vật dụng có thể đọng nước mưa như lốp xe, chai lọ, chậu cảnh.

3. Người có biểu hiện sốt cao đột ngột, xuất huyết dưới da phải đến cơ sở y tế để được khám và điều trị kịp thời, không tự ý điều trị tại nhà.

4. Sở Y tế hướng dẫn các cơ sở khám bệnh, chữa bệnh chuẩn bị thuốc, dịch truyền, giường bệnh để thu dung, điều trị người bệnh, không để quá tải.
"""


class RandomEmbedder:
    """Unit vectors from a seeded generator, under the real model's name and dimension."""

    backend, backend_checksum = "random", None

    def __init__(self, name: str, dim: int = 384, seed: int = 0):
        self.name, self.dim = name, dim
        self.rng = np.random.default_rng(seed)

    def _vectors(self, n: int) -> np.ndarray:
        v = self.rng.standard_normal((n, self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def passages(self, texts, batch_size: int = 32) -> np.ndarray:
        return self._vectors(len(texts))

    def queries(self, texts) -> np.ndarray:
        return self._vectors(len(texts))

    def fits(self, text: str) -> bool:
        return len(text) <= 1500  # about e5's 512 tokens of Vietnamese


def synthetic(docs, n: int, seed: int = 7):
    """N documents of four to eight numbered items, each item two or three sentences of the
    shipped texts: the corpus's vocabulary, at the scale of a city's archive."""
    import re

    from retrieval.corpus import Document
    from retrieval.types import Source

    sentences = [s.strip() for d in docs for s in re.split(r"(?<=[.;!?])\s+", d.text)
                 if 60 <= len(s.strip()) <= 300]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        items = [f"{k}. " + " ".join(rng.sample(sentences, rng.randint(2, 3))) for k in range(1, rng.randint(4, 8) + 1)]
        text = f"CHỈ THỊ\nVề việc thực hiện nhiệm vụ số {i + 1}\n\n" + "\n\n".join(items) + "\n"
        year = 2022 + i % 4
        source = Source(id=f"bench-{i + 1:05d}", title=f"Chỉ thị số {i + 1}/CT-UBND", kind="directive",
                        issuer="UBND thành phố Hà Nội", date=__import__("datetime").date(year, 1 + i % 12, 1 + i % 28),
                        place="Hà Nội", number=f"{i + 1}/CT-UBND", path=f"bench#{i + 1}")
        out.append(Document(source, text))
    return out


def new_document():
    from datetime import date

    from retrieval.corpus import Document
    from retrieval.types import Source

    return Document(Source(id="bench-new", title="Chỉ thị về phòng, chống sốt xuất huyết", kind="directive",
                           issuer="UBND thành phố Hà Nội", date=date(2026, 11, 25), place="Hà Nội",
                           number="99/CT-UBND", path="bench#new"), NEW_DOCUMENT)


def make_index(path: Path, docs, model: str, log) -> None:
    """The shipped documents built in full, then the synthetic ones added by one update: random
    vectors, real tokens and accent counts (the slow part: pyvi over every document, once)."""
    from retrieval.index import build
    from retrieval.index_update import publish, stage

    fake = RandomEmbedder(model)
    shipped = [d for d in docs if not d.source.id.startswith("bench-")]
    t0 = time.perf_counter()
    build(shipped, fake, path, corpus_name="bench", progress=True)
    staged = stage(path, docs, fake, corpus_name="bench", progress=True)
    publish(staged.path, path)
    log(f"made {path} ({len(docs)} documents, {staged.manifest['chunks']} clauses) in {time.perf_counter() - t0:.0f} s")


def measure(index: Path, docs, embedder, repeat: int) -> tuple[float, dict[str, float], int]:
    from retrieval.index_update import stage

    runs = []
    for _ in range(repeat):
        staged = stage(index, [*docs, new_document()], embedder, corpus_name="bench")
        runs.append((staged.seconds["total"], staged.seconds, staged.manifest["chunks"], staged.embedded))
        shutil.rmtree(staged.path)
    runs.sort(key=lambda r: r[0])
    total, parts, chunks, embedded = runs[len(runs) // 2]
    return total, parts, chunks, embedded


def run(args) -> int:
    from retrieval.corpus import load_manifest
    from retrieval.embedding import load_embedder

    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    model = settings.model_setting(args.model)
    shipped = load_manifest(settings.DEFAULT_MANIFEST)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    small_docs, big_docs = shipped, shipped + synthetic(shipped, args.documents)
    small, big = work / "update-small", work / f"update-{args.documents}"
    for path, docs in ((small, small_docs), (big, big_docs)):
        if not (path / "manifest.json").is_file():
            log(f"making {path.name} (once; reused afterwards) …")
            make_index(path, docs, model, log)
    embedder = load_embedder(model, purpose="index")
    embedder.passages(["khởi động"])  # load the model's weights before timing
    rows = []
    for name, path, docs in (("shipped", small, small_docs), (f"{args.documents} more", big, big_docs)):
        total, parts, chunks, embedded = measure(path, docs, embedder, args.repeat)
        rows.append((name, len(docs), chunks, embedded, total, parts))
    print(f"Adding one document ({rows[0][3]} clauses embedded) — median of {args.repeat} runs, "
          f"{time.strftime('%Y-%m-%d')}:")
    print(f"{'index':>14} {'documents':>9} {'clauses':>8} {'total s':>8} {'embed s':>8} {'other s':>8}  breakdown")
    for name, n_docs, chunks, embedded, total, parts in rows:
        other = total - parts.get("embed", 0)
        detail = ", ".join(f"{k} {v:.3f}" for k, v in parts.items() if k not in ("total", "embed"))
        print(f"{name:>14} {n_docs:>9} {chunks:>8} {total:>8.2f} {parts.get('embed', 0):>8.2f} {other:>8.2f}  {detail}")
    ratio = rows[1][4] / rows[0][4] if rows[0][4] else float("nan")
    print(f"Large / small: {ratio:.2f}× the time for {rows[1][2] / rows[0][2]:.0f}× the clauses.")
    return 0

