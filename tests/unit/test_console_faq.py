"""The officials' FAQ file: checked like data/faq.jsonl, and part of what the index is built from."""
import json

import pytest
from console_fakes import docs

from bot.console.faq_lines import FaqLineError, OfficialsFaq
from retrieval import faq
from retrieval.corpus import checksum


def _span():
    d = docs()[0]
    return d.source.id, d.text.strip().splitlines()[-1].strip()[:120]


def test_lines_are_checked_by_the_index_s_own_reader_before_they_are_written(tmp_path):
    f = OfficialsFaq(tmp_path / "faq.jsonl", docs)
    sid, _ = _span()
    with pytest.raises(FaqLineError, match="không khớp"):
        f.add(sid, "một đoạn không có trong văn bản", "hỏi gì đó", "eddie")
    assert not (tmp_path / "faq.jsonl").exists()
    with pytest.raises(FaqLineError):
        f.add("no-such-source", "x", "hỏi", "eddie")
    with pytest.raises(FaqLineError, match="trống"):
        f.add(sid, _span()[1], "   ", "eddie")


def test_a_second_question_for_the_same_clause_joins_its_line_and_questions_are_masked(tmp_path):
    f = OfficialsFaq(tmp_path / "faq.jsonl", docs)
    sid, span = _span()
    f.add(sid, span, "câu hỏi một", "eddie", "x1")
    line = f.add(sid, span, "sđt 0912345678 hỏi câu hai", "lan", "x2")
    assert line.number == 1 and line.ask == ("câu hỏi một", "sđt [số điện thoại] hỏi câu hai")
    assert line.by == ("eddie", "lan") and line.exchanges == ("x1", "x2")
    with pytest.raises(FaqLineError, match="đã có"):
        f.add(sid, span, "câu hỏi một", "eddie")
    (entry,) = faq.load(tmp_path / "faq.jsonl", docs())
    assert entry.span == span and len(entry.ask) == 2
    f.remove(1, "câu hỏi một")
    assert f.lines()[0].ask == ("sđt [số điện thoại] hỏi câu hai",)
    f.remove(1)
    assert f.lines() == []


def test_a_damaged_file_is_reported_not_overwritten(tmp_path):
    p = tmp_path / "faq.jsonl"
    p.write_text('{"source_id": "x"\n')
    f = OfficialsFaq(p, docs)
    with pytest.raises(FaqLineError, match="dòng 1"):
        f.add(*_span(), "hỏi", "eddie")
    assert p.read_text() == '{"source_id": "x"\n'


def test_the_index_corpus_includes_the_officials_lines(tmp_path, monkeypatch):
    p = tmp_path / "faq.jsonl"
    monkeypatch.setenv("RULEBOT_OFFICIALS_FAQ", str(p))
    shipped_docs, shipped = faq.curated()
    OfficialsFaq(p, docs).add(*_span(), "một cách hỏi mới", "eddie")
    d, entries = faq.curated()
    assert len(entries) == len(shipped) + 1 and entries[-1].ask == ("một cách hỏi mới",)
    assert checksum(d, entries) != checksum(shipped_docs, shipped)  # the old index is stale now
    monkeypatch.setenv("RULEBOT_OFFICIALS_FAQ", "")
    assert len(faq.curated()[1]) == len(shipped)
    json.loads(p.read_text())  # one JSON object per line, as data/faq.jsonl
