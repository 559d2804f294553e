"""Which FAISS index holds the passage vectors: exact below FLAT_UP_TO clauses, IVF above.

An exact (flat) search reads every vector: nothing for the Hanoi rules (174 clauses), 8 ms per
question at 100k clauses and 78 ms at 1M on this 2-core machine (~0.08 µs a vector, one thread).
Above the threshold an inverted file (IVF: 4·√n k-means lists, 128 read per question) was
measured against HNSW (M 32, efConstruction 128, efSearch 1024) on the same vectors with the
gold questions (`rulebot bench --scale`, reports/scale.md). At 100k HNSW found a little more of
the exact top 10 / top 50 (94% / 92% against 92% / 89%) in 2.3× IVF's time (2.9 against 1.3 ms);
at 1M IVF found more (93% / 92% against 89% / 86%) in the same time (3.6 against 3.5 ms), and its
cost per question grows with the lists it reads, HNSW's with the graph's depth. IVF built 1M
vectors in 55 s, HNSW in 260 s, and needs no graph (256 bytes a vector). Neither is safe for
every question (at 1M the worst question kept 14% of its top 50 with IVF, 52% with HNSW), but
what they miss are near-ties: e5's cosines are compressed, and with the fused ranking the first
hit was that of an exact search for all 100 questions at both sizes. Every vector is stored
whole, so cosines for fusion stay exact. The kind and its settings are recorded in the index
manifest and read back on load (nprobe can be raised there without rebuilding).
"""
from __future__ import annotations

from contextlib import nullcontext

import faiss
import numpy as np

from .progress import Progress, working

FLAT_UP_TO = 50_000  # clauses; above, IVF (an exact search of 50k costs ~4 ms here)
# HNSW, as compared (not chosen by kind_for; an index built with it still loads and searches)
HNSW_M = 32  # links per vector: recall vs memory (4·2·M bytes per vector at the base level)
HNSW_EF_CONSTRUCTION = 128  # build effort: 100k vectors in ~80 s on 2 busy cores; 64 lost 0.07 recall
HNSW_EF_SEARCH = 1024  # search effort (at least the 200 nearest the search asks for)
ADD_STEP = 20_000  # vectors added at a time (progress)
IVF_LISTS_PER_SQRT = 4  # nlist = 4·√n: 1,264 lists at 100k, 4,000 at 1M
IVF_TRAIN_PER_LIST = 40  # k-means sample: 40 vectors per list (and never more lists than that allows)
IVF_NPROBE = 128  # lists read per question; at 1M, 32 kept 82% of the top 10, 512 99% in 14 ms


def kind_for(n: int) -> str:
    return "flat" if n <= FLAT_UP_TO else "ivf"


def make(vectors: np.ndarray, kind: str | None = None, progress: bool = False) -> tuple[faiss.Index, dict]:
    """An index holding `vectors` (normalised, float32) for inner-product search, and what the
    manifest records about it. Building a graph over a million vectors takes minutes: with
    `progress`, it is reported as it goes."""
    n, dim = vectors.shape
    kind = kind or kind_for(n)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index, {"kind": "flat"}
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        with Progress(n, "vectors linked into the HNSW graph") if progress else nullcontext() as p:
            for start in range(0, n, ADD_STEP):
                index.add(vectors[start:start + ADD_STEP])
                if p:
                    p.advance(len(vectors[start:start + ADD_STEP]))
        info = {"kind": "hnsw", "m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}
        ready(index, info)
        return index, info
    if kind == "ivf":
        nlist = max(1, min(int(IVF_LISTS_PER_SQRT * np.sqrt(n)), n // IVF_TRAIN_PER_LIST))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(n, size=min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
        with working(f"k-means: {nlist:,} lists from {len(sample):,} vectors", show=progress):
            index.train(vectors[np.sort(sample)])
        with Progress(n, "vectors assigned to IVF lists") if progress else nullcontext() as p:
            for start in range(0, n, ADD_STEP):
                index.add(vectors[start:start + ADD_STEP])
                if p:
                    p.advance(len(vectors[start:start + ADD_STEP]))
        index.make_direct_map()  # vectors by position: exact cosines for fusion
        info = {"kind": "ivf", "nlist": nlist, "nprobe": min(nlist, IVF_NPROBE)}
        ready(index, info)
        return index, info
    raise ValueError(f"unknown dense index kind '{kind}'")


def ready(index: faiss.Index, info: dict | None) -> faiss.Index:
    """Set the search-time parameters the manifest recorded (none for a flat index)."""
    kind = (info or {}).get("kind")
    if kind == "hnsw":
        faiss.downcast_index(index).hnsw.efSearch = int(info.get("ef_search", HNSW_EF_SEARCH))
    elif kind == "ivf":
        ivf = faiss.downcast_index(index)
        ivf.nprobe = int(info.get("nprobe", IVF_NPROBE))
        if ivf.direct_map.type == faiss.DirectMap.NoMap:
            ivf.make_direct_map()
    return index


def exact_twin(index: faiss.Index) -> faiss.Index:
    """An exact (flat) index over the vectors `index` stores: an HNSW graph's own storage, or a
    copy rebuilt from an IVF's lists (a flat index is its own twin). For measuring recall; a
    graph's twin lives only as long as the graph."""
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexHNSW):
        return faiss.downcast_index(inner.storage)
    if isinstance(inner, faiss.IndexFlat):
        return inner
    flat = faiss.IndexFlatIP(index.d)
    flat.add(index.reconstruct_n(0, index.ntotal))
    return flat
