"""Which FAISS index holds the passage vectors: exact below FLAT_UP_TO clauses, HNSW above.

An exact (flat) search reads every vector: nothing for the Hanoi rules (174 clauses), ~15 ms
per question at 100k clauses on this busy 2-core machine, and it grows linearly. Above the
threshold an HNSW graph finds the 200 nearest in ~4 ms at 100k with 94% of the exact top 50
(the dense candidates fusion takes) and 96% of its top 10; e5's cosines are compressed (the
200th nearest is typically within 0.03 of the first), so what it misses are near-ties. IVF
needed 128 of its 1,264 lists for 91% at 100k, and a fixed share of lists means a cost that
grows with the corpus; HNSW's grows with its logarithm and needs no training pass. Figures:
reports/scale.md. Every vector is stored whole in both, so cosines for fusion stay exact. The
choice and its parameters are recorded in the index manifest and read back on load.
"""
from __future__ import annotations

from contextlib import nullcontext

import faiss
import numpy as np

from .progress import Progress

FLAT_UP_TO = 50_000  # clauses; above, HNSW (an exact search costs ~0.15 µs per vector here)
HNSW_M = 32  # links per vector: recall vs memory (4·2·M bytes per vector at the base level)
HNSW_EF_CONSTRUCTION = 128  # build effort: 100k vectors in ~80 s on 2 busy cores; 64 lost 0.09 recall
HNSW_EF_SEARCH = 1024  # search effort (at least the 200 nearest the search asks for): ~4 ms at 100k
ADD_STEP = 20_000  # vectors added at a time (progress)


def kind_for(n: int) -> str:
    return "flat" if n <= FLAT_UP_TO else "hnsw"


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
    raise ValueError(f"unknown dense index kind '{kind}'")


def ready(index: faiss.Index, info: dict | None) -> faiss.Index:
    """Set the search-time parameters the manifest recorded (none for a flat index)."""
    if info and info.get("kind") == "hnsw":
        faiss.downcast_index(index).hnsw.efSearch = int(info.get("ef_search", HNSW_EF_SEARCH))
    return index
