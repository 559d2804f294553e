"""The residents' vocabulary: what a question's words are called in the directives."""
from __future__ import annotations





def test_the_shipped_retriever_knows_its_corpus(engine):
    assert engine.retriever.prepare("co quan o ba dinh co phai lam gi").expansion == ()  # "quan" is not "quán"
    assert engine.retriever.prepare("Quán ăn có được mở không?").expansion
















def test_the_engine_finds_a_clause_through_the_residents_word(engine):
    result = engine.search("Dân phải dùng app nào để chống dịch?", k=3)
    assert result.query.expansion == ("ứng dụng công nghệ",)
    assert any("ứng dụng công nghệ" in h.chunk.text for h in result.hits)
    assert result.query.dense_text.endswith("(ứng dụng công nghệ)")


def test_a_translated_word_counts_as_found_in_the_clause(engine):
    from dataclasses import replace

    retriever = engine.retriever
    q = retriever.prepare("Dân phải dùng app nào để chống dịch?")
    clause = next(i for i, c in enumerate(engine.index.chunks) if "ứng dụng công nghệ" in c.text)
    bridged = retriever.coverage.of(q, [clause])[0]
    literal = retriever.coverage.of(replace(q, bridges=()), [clause])[0]
    assert bridged > literal


def test_question_words_alone_cover_nothing(engine):
    retriever = engine.retriever
    q = retriever.prepare("có được không, là gì, thế nào?")
    assert retriever.coverage.of(q, list(range(len(engine.index.chunks)))) == [0.0] * len(engine.index.chunks)
