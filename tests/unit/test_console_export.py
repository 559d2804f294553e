"""Officials' verdicts exported as gold questions that retrieval.gold reads and the eval runs."""
import json
import sqlite3

from console_fakes import rig

from bot.cli import main as commands_main
from bot.console.exchanges import ExchangeReader
from bot.console.export import gold_records, write_gold
from bot.console.reviews import Clause, ReviewStore
from retrieval.evaluation import gold


def _clause(r, i):
    c = r.holder.engine.index.chunks[i]
    return Clause(c.source_id, c.text, c.start, c.end)


def test_each_verdict_kind_becomes_the_right_gold_question(tmp_path):
    r = rig(tmp_path)
    answered = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    assert answered.answer.status == "answered"
    wrong = r.ask("Chốt có kiểm tra 100% người và phương tiện không?")
    abstained = r.ask("giá vàng hôm nay bao nhiêu")
    should = r.ask("gia vang hom nay the nao")
    outdated = r.ask("Chốt kiểm dịch có kiểm tra 100% người không?")
    split = r.ask("Chốt kiểm dịch có kiểm tra phương tiện không?")
    store = ReviewStore(tmp_path / "log.db")
    main = Clause(answered.answer.main.source.id, answered.answer.main.quote, answered.answer.main.start,
                  answered.answer.main.end)
    store.judge(answered.id, "rita", "correct", main)
    store.judge(answered.id, "eddie", "correct", main)  # agreeing officials
    store.judge(wrong.id, "rita", "wrong", _clause(r, 3))
    store.judge(abstained.id, "rita", "correct")  # abstaining was right: off-topic
    store.judge(should.id, "rita", "should_answer", _clause(r, 4))
    store.judge(outdated.id, "rita", "outdated")
    store.judge(split.id, "rita", "correct", main)
    store.judge(split.id, "eddie", "should_abstain")
    v = store.judge(should.id, "eddie", "should_answer", _clause(r, 4))
    store.mark_promoted(v.id, "eddie")

    report = gold_records(ExchangeReader(tmp_path / "log.db"), store)
    by_id = {rec["exchange_id"]: rec for rec in report.records}
    assert set(by_id) == {answered.id, wrong.id, abstained.id, should.id}
    assert report.skipped == {"outdated": 1, "disagree": 1}
    assert by_id[answered.id]["evidence"] == [{"source_id": main.source_id, "span": main.span}]
    assert by_id[answered.id]["officials"] == ["eddie", "rita"]
    assert by_id[wrong.id]["evidence"][0]["span"] == _clause(r, 3).span
    assert by_id[abstained.id]["answerable"] is False and by_id[abstained.id]["evidence"] == []
    assert by_id[should.id]["split"] == "dev" and by_id[wrong.id]["split"] == "test"

    out = write_gold(report, tmp_path / "reviewed.jsonl")
    questions = {q.id: q for q in gold.load(out)}
    assert len(questions) == 4
    q = questions[f"x-{wrong.id}"]
    assert q.answerable and q.evidence[0].source_id == _clause(r, 3).source_id
    chunks = r.holder.engine.index.chunks
    assert not gold.unreachable(q.evidence, chunks)  # the span is a clause of the index


def test_review_export_command_writes_the_file_and_says_what_it_left_out(tmp_path, capsys, monkeypatch):
    r = rig(tmp_path)
    monkeypatch.setenv("RULEBOT_OFFICIALS", str(tmp_path / "officials.db"))
    out = tmp_path / "gold.jsonl"
    assert commands_main(["review", "export", "--gold", str(out), "--log", str(tmp_path / "log.db")]) == 1
    assert not out.exists()
    ex = r.ask("giá vàng hôm nay bao nhiêu")
    store = ReviewStore(tmp_path / "log.db")
    store.judge(ex.id, "rita", "correct")
    other = r.ask("gia vang hom nay the nao")
    store.judge(other.id, "rita", "outdated")
    assert commands_main(["review", "export", "--gold", str(out), "--log", str(tmp_path / "log.db")]) == 0
    err = capsys.readouterr()
    assert "Wrote 1 gold questions (0 answerable, 1 off-topic" in err.out
    assert "left out 1: rule no longer in force" in err.err
    assert json.loads(out.read_text())["answerable"] is False
    assert "review.export" in [a["action"] for a in r.officials.audit()]


def test_a_log_written_before_the_console_existed_is_read(tmp_path):
    """Only the log's own tables, as bot.exchange_log writes them; no review tables yet."""
    db = sqlite3.connect(tmp_path / "old.db")
    db.execute("create table exchanges (id text primary key, at text, channel text, user_hash text, "
               "question text, status text, abstained int)")
    db.execute("insert into exchanges values ('a1', '2021-08-01T01:00:00.000+00:00', 'zalo', 'h', 'hỏi', 'no_match', 1)")
    db.commit()
    reader = ExchangeReader(tmp_path / "old.db")
    (x,) = reader.all()
    assert x.id == "a1" and x.confidence is None and x.reply == "" and x.up == 0
    assert ExchangeReader(tmp_path / "missing.db").all() == []
