"""The answer engine, end to end with the real model and a real index built in a temp dir."""
import json
import unicodedata
from datetime import date

import pytest

from bot.messages import invalid_question
from bot.render import render
from retrieval import settings
from retrieval.answer import MAX_QUOTE_CHARS, cite
from retrieval.chunking import MAX_JOINED_CHARS, overlap
from retrieval.corpus import load_manifest
from retrieval.index import IndexNotUsable, load
from retrieval.passages import distinct, passage

TEXTS = {d.source.id: d.text for d in load_manifest(settings.DEFAULT_MANIFEST)}


def assert_verbatim(citation):
    assert TEXTS[citation.source.id][citation.start:citation.end] == citation.quote
    assert 0 < len(citation.quote) <= MAX_QUOTE_CHARS


def test_going_out_is_answered_with_a_verbatim_quote_and_a_dated_source(engine):
    answer = engine.answer("Tôi có được ra ngoài không?")
    assert answer.status == "answered"
    assert_verbatim(answer.main)
    assert answer.main.source.date is not None and answer.main.location
    assert "ra ngoài" in answer.main.quote
    for c in answer.more:
        assert_verbatim(c)
    text = render(answer)
    assert answer.main.quote in text and answer.main.source.date.strftime("%d/%m/%Y") in text


def test_the_rule_on_going_out_is_shown_where_a_further_clause_is_shortened(engine):
    text = render(engine.answer("Tôi có được ra ngoài không?"))
    assert "“chỉ ra ngoài khi thật sự cần thiết”" in text


def test_the_same_question_without_diacritics_gets_the_same_clause(engine):
    with_marks = engine.answer("Tôi có được ra ngoài không?")
    without = engine.answer("toi co duoc ra ngoai khong")
    assert without.status == "answered" and without.main.chunk_id == with_marks.main.chunk_id


def test_chat_shorthand_is_understood(engine):
    assert engine.answer("toi co dc ra ngoai ko").main.chunk_id == engine.answer(
        "Tôi có được ra ngoài không?").main.chunk_id


@pytest.mark.parametrize("question", [
    "Giá vàng hôm nay bao nhiêu?",  # a headline of the removed boilerplate
    "Thời tiết miền Bắc có rét không?",
    "Đăng ký kết hôn cần giấy tờ gì?",
])
def test_off_topic_questions_abstain_and_point_to_the_hotline(engine, question):
    answer = engine.answer(question)
    assert answer.status == "no_match" and answer.main is None
    assert "đường dây nóng" in render(answer)


def test_decomposed_vietnamese_is_the_same_question(engine):
    nfd = unicodedata.normalize("NFD", "Tôi có được ra ngoài không?")
    assert engine.answer(nfd).main.chunk_id == engine.answer("Tôi có được ra ngoài không?").main.chunk_id


@pytest.mark.parametrize("bad, status", [
    ("", "invalid"),
    ("   \n\t  ", "invalid"),
    ("x" * 20_000, "invalid"),
    ("ra ngoài " * 3000, "invalid"),
    ("?!...", "invalid"),
    ("\x00\x07\x1b[31m", "invalid"),
])
def test_unusable_input_gets_a_clear_polite_message(engine, bad, status):
    answer = engine.answer(bad)
    assert answer.status == status and answer.notice in ("empty", "too_long", "no_letters") and answer.main is None
    assert render(answer) == invalid_question(answer.notice, len(bad))


@pytest.mark.parametrize("emoji", ["😷🦠🙏", "👍", "❤️"])
def test_emoji_alone_are_small_talk_not_a_malformed_question(engine, emoji):
    answer = engine.answer(emoji)
    assert (answer.status, answer.notice, answer.main) == ("small_talk", "emoji", None)
    assert "ví dụ" in render(answer)


@pytest.mark.parametrize("odd", [
    "Can I go outside during the lockdown?",
    "'; DROP TABLE chunks; --",
    "<script>alert('x')</script> chốt kiểm dịch",
    "Tôi có được\x00 ra ngoài\u200b không?",
    "😷 Tôi có được ra ngoài không? 🙏",
])
def test_odd_but_readable_input_gets_a_normal_answer_or_an_abstention(engine, odd):
    answer = engine.answer(odd)
    assert answer.status in ("answered", "no_match")
    if answer.main:
        assert_verbatim(answer.main)
    json.dumps(answer.to_dict(), ensure_ascii=False)  # serialisable whatever came in


def test_the_index_itself_survives_sql_looking_questions(engine):
    before = len(engine.index.chunks)
    engine.answer("'; DROP TABLE chunks; --")
    assert len(load(engine.index.path).chunks) == before


def test_as_of_ignores_later_documents(engine):
    question = "Ai phải chịu trách nhiệm khi để dịch lây lan?"
    cutoff = date(2021, 7, 20)
    answer = engine.answer(question, as_of=cutoff)
    assert answer.as_of == cutoff
    for c in answer.citations:
        assert c.source.date <= cutoff
    hits = engine.search(question, k=10, as_of=cutoff).hits
    assert hits and all(engine.index.sources[h.chunk.source_id].date <= cutoff for h in hits)
    assert engine.answer(question, as_of=date(2020, 1, 1)).status == "no_match"


def test_the_best_ranked_clause_leads_whatever_its_date_and_every_date_is_shown(engine):
    """A newer document among those shown is rarely about the same thing: it does not lead for
    being newer (what replaces what, the documents' validity says)."""
    question = "Phương châm 4 tại chỗ là gì?"
    answer, hits = engine.answer(question), engine.search(question, k=5).hits
    assert answer.status == "answered" and answer.main.chunk_id == hits[0].chunk.id
    assert "tại chỗ" in answer.main.quote
    dates = {c.source.date for c in answer.citations}
    assert len(dates) > 1 and answer.main.source.date < max(dates)  # the case that used to go wrong
    text = render(answer)
    for d in dates:
        assert d.strftime("%d/%m/%Y") in text


def test_a_window_ranked_right_behind_an_overlapping_hit_extends_it_into_one_passage(engine):
    """Otherwise the sentence asked about can hide behind a neighbour sharing half its text."""
    chunks = engine.index.chunks
    a, b = next((i, i + 1) for i in range(len(chunks) - 1) if overlap(chunks[i], chunks[i + 1])
                and chunks[i + 1].end - chunks[i].start <= MAX_JOINED_CHARS)
    other = next(i for i, c in enumerate(chunks) if c.source_id != chunks[a].source_id)
    assert distinct(iter([a, b, other]), chunks, 5) == [[a, b], [other]]
    assert distinct(iter([b, a, other]), chunks, 5) == [[b, a], [other]]
    assert distinct(iter([a, other, b]), chunks, 5) == [[a], [other]]  # further behind: skipped, as before
    assert distinct(iter([a, b, other]), chunks, 1) == [[a, b]]


def test_a_joined_passage_is_quoted_verbatim_and_labelled_once(engine):
    from retrieval.types import Hit

    chunks = engine.index.chunks
    a, b = next((i, i + 1) for i in range(len(chunks) - 1) if overlap(chunks[i], chunks[i + 1]))
    joined = passage([a, b], chunks, engine.index.texts)
    citation = cite(engine.index, Hit(joined, 1.0, 1))
    assert_verbatim(citation)
    assert citation.quote == TEXTS[chunks[a].source_id][chunks[a].start:chunks[b].end]
    assert citation.location == chunks[a].location


def test_the_index_refuses_another_model_and_a_changed_corpus(index_dir):
    with pytest.raises(IndexNotUsable, match="rulebot index"):
        load(index_dir, model="some/other-model")
    with pytest.raises(IndexNotUsable, match="stale"):
        load(index_dir, expected_checksum="0" * 64)


def test_a_missing_index_says_what_to_run(tmp_path):
    with pytest.raises(IndexNotUsable, match="rulebot index --index"):
        load(tmp_path / "nowhere")


def test_a_quote_that_no_longer_matches_its_source_is_never_shown(engine):
    from retrieval import answer as answering
    from retrieval.types import Chunk, Hit

    real = engine.index.chunks[0]
    forged = Chunk(real.id, real.source_id, real.start, real.end, real.text + " (bịa thêm)", real.location)
    with pytest.raises(answering.QuoteMismatch):
        answering.cite(engine.index, Hit(forged, 1.0, 1))


@pytest.mark.parametrize("question", [
    "Không đeo khẩu trang bị phạt bao nhiêu tiền?",
    "cach ly tai nha may ngay thi duoc ra",
])
def test_a_question_asking_for_a_figure_no_document_gives_is_not_answered_with_a_clause_without_one(
        engine, question):
    answer = engine.answer(question)
    assert answer.status == "no_match" and answer.missing in {"money", "duration"}
    text = render(answer)
    assert "không nêu" in text and "đường dây nóng" in text


def test_a_question_asking_for_a_length_of_time_is_answered_by_a_clause_that_gives_one(engine):
    answer = engine.answer("Giãn cách xã hội kéo dài bao lâu?")
    assert answer.status == "answered" and answer.missing is None
    assert "15 ngày giãn cách xã hội" in answer.main.quote
