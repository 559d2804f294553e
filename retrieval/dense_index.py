"""Which FAISS index holds the passage vectors: exact below FLAT_UP_TO clauses, HNSW above.

An exact (flat) search reads every vector: cheap for the Hanoi rules (174 clauses) and still a
few milliseconds at tens of thousands, but it grows linearly (measured on this 2-core machine:
reports/scale.md). Above the threshold an HNSW graph finds the nearest clauses in a time that
barely grows with the corpus, with almost all of the exact search's top 50 (the candidates the
search fuses). HNSW was preferred to IVF because it needs no training pass and kept a higher
recall at the same latency in the same measurement. Every vector is stored whole in both, so
cosines for fusion are exact whichever is chosen. The choice and its parameters are recorded in
the index manifest and read back on load.
"""
from __future__ import annotations

from contextlib import nullcontext

import faiss
import numpy as np

from .progress import Progress

FLAT_UP_TO = 50_000  # clauses; above, HNSW
HNSW_M = 32  # links per vector: recall vs memory (4·2·M bytes per vector at the base level)
HNSW_EF_CONSTRUCTION = 64  # build effort: 1M vectors in minutes on 2 cores
HNSW_EF_SEARCH = 256  # search effort; at least the 200 nearest the search asks for
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
