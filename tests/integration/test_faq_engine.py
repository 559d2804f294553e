"""The FAQ: residents' questions written for a clause, matched alongside the clause itself."""
import json


from retrieval import faq
from retrieval.text import contains_either, fold, has_diacritics

DOCS, ENTRIES = faq.curated()
KY_LUAT = "ky-luat-chot-kiem-dich-2021-07"
CHECKPOINTS = "phải bảo đảm 22/22 chốt hoạt động 24/24h kiểm tra, kiểm soát 100% người và phương tiện vào TP"


def test_the_shipped_faq_quotes_its_sources_and_reaches_an_indexed_clause(engine):
    assert len(ENTRIES) >= 150 and all(len(e.ask) >= 2 for e in ENTRIES)
    chunks = engine.index.chunks
    orphans = [e.span[:60] for e in ENTRIES if not faq.attach([e], chunks)]
    assert not orphans, f"spans no indexed clause holds (cleaned away?): {orphans}"
    assert engine.index.faq is not None
    assert len(engine.index.faq.questions) == len({q for e in ENTRIES for q in e.ask})












def test_an_faq_question_typed_without_diacritics_finds_its_clause(engine):
    """The FAQ's questions with diacritics, typed bare: the index holds only the accented form."""
    asked = [(fold(q), e) for e in ENTRIES for q in e.ask if has_diacritics(q)][::8]
    found = sum(any(h.chunk.source_id == e.source_id and contains_either(h.chunk.text, e.span)
                    for h in engine.search(q, k=3).hits) for q, e in asked)
    assert len(asked) >= 40 and found / len(asked) >= 0.85, f"{found}/{len(asked)}"


def test_a_corpus_without_an_faq_is_searched_as_before(tmp_path, embedder):
    from retrieval.corpus import load_jsonl
    from retrieval.index import build, load
    from retrieval.search import Retriever

    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "Chợ", "text": "Chợ dân sinh mở cửa từ 6 giờ sáng."},
                                 ensure_ascii=False), encoding="utf-8")
    build(load_jsonl(corpus), embedder, tmp_path / "index")
    index = load(tmp_path / "index", model=embedder.name)
    assert index.faq is None and not (tmp_path / "index" / "faq.faiss").exists()
    assert Retriever(index, embedder).search("chợ mở cửa mấy giờ").hits[0].chunk.source_id == "a"


def test_asked_word_for_word_an_faq_question_is_answered_with_its_clause(engine):
    e = next(e for e in ENTRIES if e.source_id == KY_LUAT and CHECKPOINTS in e.span)
    result = engine.search(e.ask[0], k=3)
    assert result.best_faq_cosine > 0.95  # not 1: the question also reads the glossary's phrases
    assert not result.abstained and contains_either(result.hits[0].chunk.text, e.span)
