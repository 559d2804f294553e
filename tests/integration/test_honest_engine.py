"""Honest answers with the real model: the rule leads, small talk is not answered with a quote,
and the whole of a document counts (sections)."""
from __future__ import annotations

import pytest

from bot.render import render


def test_going_out_leads_with_the_rule_not_the_enforcement_tally(engine):
    for question in ("Tôi có được ra ngoài không?", "toi co duoc ra ngoai khong"):
        answer = engine.answer(question)
        assert answer.status == "answered"
        assert "chỉ ra ngoài khi thật sự cần thiết" in answer.main.quote
        assert "1.359" not in answer.main.quote


def test_the_dose_asked_about_decides_whether_the_second_dose_clause_answers(engine):
    for question in ("Tiêm mũi 3 ở đâu?", "tiem mui 3 o dau"):
        result = engine.search(question)
        assert result.abstained and result.other == ("mũi 3", "mũi 2")
        answer = engine.answer(question)
        assert answer.status == "no_match" and "đoạn gần nhất nói về mũi 2" in render(answer)
    answered = engine.answer("Khi nào tôi được tiêm mũi 2?")
    assert answered.status == "answered" and "mũi 2" in answered.main.quote


@pytest.mark.parametrize("text", ["cảm ơn bạn nhé", "chao ban", "Bạn là ai?", "ok", "😊👍"])
def test_small_talk_gets_a_friendly_reply_never_a_quote(engine, text):
    answer = engine.answer(text)
    if answer.status == "invalid":  # emoji alone is no question at all: also fine, also no quote
        assert answer.main is None
        return
    assert answer.status == "small_talk" and answer.main is None and not answer.more
    assert "Tôi có được ra ngoài không?" in render(answer)
    assert engine.search(text).abstained


def test_the_index_keeps_a_section_for_every_clause(engine):
    sections = engine.index.sections
    assert sections is not None and len(sections.of_chunk) == len(engine.index.chunks)
    assert 0 < len(sections) <= len(engine.index.chunks)
