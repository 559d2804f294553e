"""The scale benchmark's generated corpus, on a tiny hand-made base (no model, no index)."""
from __future__ import annotations

from datetime import date

import numpy as np

from retrieval.corpus import Document
from retrieval.sections import Section
from retrieval.evaluation import scale
from retrieval.text import fold, words
from retrieval.types import Chunk, Source


def tiny_base() -> scale.Base:
    text = "Người dân ra ngoài phải đeo khẩu trang.\nCấm tụ tập quá 10 người nơi công cộng."
    first = text.index("\n")
    chunks = [Chunk("s:0", "s", 0, first, text[:first], "đoạn 1"),
              Chunk("s:1", "s", first + 1, len(text), text[first + 1:], "đoạn 2")]
    v = np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    tokens = [words(fold(c.text)) + ["ra_ngoai", "khau_trang"] for c in chunks]
    doc = Document(Source("s", "Chỉ thị", "directive", "UBND", date(2021, 7, 24), "Hà Nội"), text)
    sections = [Section("s", 0, len(text), "")]  # the real document is one section
    return scale.Base([doc], chunks, v, tokens, {}, 2, sections, np.array([0, 0]), v[:1].copy(), "m", "", "2 clauses")


def test_a_size_is_the_real_clauses_first_then_generated_documents_of_exact_slices():
    base = tiny_base()
    docs, chunks, vectors, tokens, (sections, section_of, section_vectors, section_tokens) = scale.assemble(base, 21)
    assert len(chunks) == len(vectors) == len(tokens) == len(section_of) == 21
    assert chunks[:2] == base.chunks and np.array_equal(vectors[:2], base.vectors)
    texts = {d.source.id: d.text for d in docs}
    assert all(texts[c.source_id][c.start:c.end] == c.text for c in chunks)
    assert len(docs) == 1 + -(-19 // scale.CLAUSES_PER_DOC)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert all(d.source.date == date(2021, 7, 24) for d in docs)  # dates drawn from the real ones
    # one section per generated document (the real one keeps its own): its clauses' words and mean vector
    assert len(sections) == len(section_vectors) == len(section_tokens) == len(docs)
    assert [s.source_id for s in sections] == [d.source.id for d in docs]
    assert all(sections[section_of[i]].source_id == c.source_id for i, c in enumerate(chunks))
    assert section_tokens[0] == tokens[0] + tokens[1]
    mean = vectors[2:2 + scale.CLAUSES_PER_DOC].sum(axis=0)
    assert np.allclose(section_vectors[1], mean / np.linalg.norm(mean), atol=1e-6)


def test_generated_tokens_are_the_folded_words_and_the_known_compounds():
    base = tiny_base()
    _, chunks, _, tokens, _ = scale.assemble(base, 40)
    for c, t in zip(chunks[2:], tokens[2:]):
        syllables = words(fold(c.text))
        assert t[:len(syllables)] == syllables
        assert set(t[len(syllables):]) <= {"ra_ngoai", "khau_trang"}


def test_a_size_written_as_tables_loads_each_clauses_section(tmp_path):
    import sqlite3

    from retrieval.index import write_tables

    docs, chunks, _, _, (sections, section_of, _, _) = scale.assemble(tiny_base(), 21)
    write_tables(tmp_path / "index.db", docs, chunks, sections, section_of)  # numpy positions, as assembled
    db = sqlite3.connect(tmp_path / "index.db")
    assert [r[0] for r in db.execute("select section_seq from section_of order by chunk_seq")] == section_of.tolist()


def test_the_same_seed_gives_the_same_corpus_and_a_smaller_size_takes_the_first_real_clauses():
    a, b = scale.assemble(tiny_base(), 30), scale.assemble(tiny_base(), 30)
    assert [c.text for c in a[1]] == [c.text for c in b[1]] and np.array_equal(a[2], b[2])
    docs, chunks, _, _, (sections, section_of, _, section_tokens) = scale.assemble(tiny_base(), 1)
    assert [c.id for c in chunks] == ["s:0"] and len(docs) == 1
    assert len(sections) == 1 and section_of.tolist() == [0] and len(section_tokens[0]) == len(tiny_base().tokens[0])


def test_the_report_table_has_a_row_per_size():
    row = {"build": {"size": 1000, "dense_index": {"kind": "flat"}, "bytes": 2**20, "rss_mb": 300.0,
                     "seconds": {"total": 12.0}},
           "serve": {"answer_ms": {"p50": 10.0, "p95": 20.0}, "lexical_ms": {"p50": 1.0, "p95": 2.0},
                     "cold_start_s": 3.0, "rss_mb": 400.0, "recall": {"recall": 1.0}}}
    lines = scale.table({"sizes": [row, row]}).splitlines()
    assert len(lines) == 4 and lines[2].startswith("| 1,000 | flat | 1.000 | 10.0 | 20.0 | 1.0 / 2.0 | – | – |")


def test_sizes_not_measured_are_carried_over_marked(tmp_path):
    import json

    def row(size, **serve):
        return {"size": size, "build": {"size": size, "dense_index": {"kind": "flat"}, "bytes": 2**20, "rss_mb": 1.0,
                                        "seconds": {"total": 1.0}},
                "serve": {"answer_ms": {"p50": 1.0, "p95": 2.0}, "lexical_ms": {"p50": 1.0, "p95": 2.0},
                          "cold_start_s": 1.0, "rss_mb": 1.0, "recall": {"recall": 1.0}, **serve}}

    previous = tmp_path / "scale.json"
    previous.write_text(json.dumps({"sizes": [row(10), row(1000)], "compare": {"1000": [], "10": []}}))
    results = {"sizes": [row(10, sections_ms={"p50": 3.0, "p95": 4.0}), row(100)], "compare": {}}
    scale.carry_earlier(results, previous)
    assert [r["size"] for r in results["sizes"]] == [10, 100, 1000]
    assert "sections_ms" in results["sizes"][0]["serve"] and "earlier" not in results["sizes"][0]
    assert "not re-measured" in results["sizes"][2]["earlier"] and list(results["compare"]) == ["1000 (earlier)"]
    lines = scale.table(results).splitlines()
    assert lines[2].startswith("| 10 | flat | 1.000 | 1.0 | 2.0 | 1.0 / 2.0 | 3.0 / 4.0 |")
    assert lines[4].startswith("| 1,000 * |") and lines[-1].startswith("\\* 1,000 clauses: carried over")
    scale.carry_earlier(results, tmp_path / "missing.json")  # no previous report: nothing changes
    assert len(results["sizes"]) == 3


def test_a_size_carried_over_once_is_carried_over_again(tmp_path):
    import json

    previous = tmp_path / "scale.json"
    previous.write_text(json.dumps({"sizes": [], "compare": {"1000 (earlier)": [{"kind": "ivf"}], "100": []}}))
    results = {"sizes": [{"size": 100}], "compare": {"100": []}}
    scale.carry_earlier(results, previous)
    assert results["compare"] == {"100": [], "1000 (earlier)": [{"kind": "ivf"}]}
