"""rulebot's retrieval library: documents in, cited answers out.

    from retrieval import Engine
    engine = Engine.load()            # the index and model set up by `rulebot setup`
    answer = engine.answer("Tôi có được ra ngoài không?")

The names below are the public API; they are imported on first use, so `import retrieval.text`
stays light (no model, no FAISS).
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "Engine": "engine", "Answer": "types", "Citation": "types", "Chunk": "types", "Hit": "types",
    "Source": "types", "Result": "search", "Ranking": "fusion", "Abstention": "abstention",
    "check_question": "input_check",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
