"""The `rulebot` command as a user runs it, in-process (`main([...])`) against the real model and
index, plus one smoke test of a real process."""
import io
import json
import os
import subprocess
import sys

import pytest

from bot import cli
from bot.cli import core


@pytest.fixture
def shared(monkeypatch, engine, embedder):
    """Commands use the session's engine and embedder instead of loading the model again."""
    monkeypatch.setattr(core, "_engine", lambda args: engine)
    monkeypatch.setattr(core, "_embedder", lambda model: embedder)
    return engine


def test_a_real_process_answers_and_stops_quietly_when_its_reader_leaves(index_dir, model_dir):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RULEBOT_INDEX": str(index_dir), "RULEBOT_MODEL": str(model_dir)}
    out = subprocess.run(f"{sys.executable} -m bot.cli ask 'Tôi có được ra ngoài không?' | head -c 1",
                         shell=True, capture_output=True, text=True, env=env, timeout=300)
    assert out.stdout and "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "Tôi có được ra ngoài không?"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "“" in out.stdout and "— " in out.stdout and "/2021" in out.stdout


def test_ask_prints_a_short_vietnamese_answer_with_quote_and_source(shared, capsys):
    assert cli.main(["ask", "Tôi có được ra ngoài không?"]) == 0
    out = capsys.readouterr().out
    assert "“" in out and "— " in out and "/2021" in out


def test_search_reads_questions_from_stdin_and_prints_json_lines(shared, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        "Tôi có được ra ngoài không?\ntoi co duoc ra ngoai khong\nGiá vàng hôm nay bao nhiêu?\n\n"))
    assert cli.main(["search", "--k", "3"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["question"] for r in lines] == ["Tôi có được ra ngoài không?", "toi co duoc ra ngoai khong",
                                              "Giá vàng hôm nay bao nhiêu?"]
    first = lines[0]
    assert first["abstained"] is False and len(first["results"]) == 3
    assert set(first["results"][0]) == {"rank", "score", "text", "source_id", "title", "date", "location",
                                        "start", "end"}
    assert [r["rank"] for r in first["results"]] == [1, 2, 3]
    assert lines[1]["results"][0]["text"] == first["results"][0]["text"]
    assert lines[2]["abstained"] is True


def test_a_question_that_once_crashed_the_batch_is_answered_and_the_batch_goes_on(shared, capsys, monkeypatch):
    # pyvi raised KeyError('bbs') inside add_accents on this ordinary question (issue 14)
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        "Lam cach nao de toi ve sinh va khu trung may moc hoac thiet bi?\nTôi có được ra ngoài không?\n"))
    assert cli.main(["search", "--k", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2 and "error" not in lines[0] and lines[1]["results"]


def test_ask_json_and_as_of(shared, capsys):
    assert cli.main(["ask", "--json", "--as-of", "2021-07-20", "Ai phải chịu trách nhiệm khi để dịch lây lan?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["as_of"] == "2021-07-20"
    assert all(c["source"]["date"] <= "2021-07-20" for c in [answer["main"], *answer["more"]] if c)


def test_errors_are_one_clear_line_on_stderr_with_a_nonzero_exit(tmp_path, model_dir, capsys, monkeypatch, embedder):
    monkeypatch.setenv("RULEBOT_MODEL", str(model_dir))
    assert cli.main(["ask", "--index", str(tmp_path / "none"), "Tôi có được ra ngoài không?"]) == 2
    assert "rulebot index" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad_date:
        cli.main(["ask", "--as-of", "31/7/2021", "x"])
    assert bad_date.value.code == 2 and "YYYY-MM-DD" in capsys.readouterr().err
    monkeypatch.setattr(core, "_embedder", lambda model: embedder)
    assert cli.main(["index", "--corpus", str(tmp_path / "missing.jsonl"), "--index", str(tmp_path / "i")]) == 2
    assert "not found" in capsys.readouterr().err


def test_an_empty_question_is_refused_politely(shared, capsys):
    assert cli.main(["ask", "   "]) == 1
    assert "chưa nhập câu hỏi" in capsys.readouterr().out


def test_a_too_long_question_is_refused_with_the_limit_written_the_vietnamese_way(shared, capsys):
    assert cli.main(["ask", "a" * 20_000]) == 1
    out = capsys.readouterr().out
    assert "20.000 ký tự" in out and "tối đa 1.000 ký tự, mỗi lần một ý" in out


def test_index_builds_any_jsonl_corpus(tmp_path, model_dir, monkeypatch, capsys, embedder):
    monkeypatch.setattr(core, "_embedder", lambda model: embedder)
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "Quy định A", "text": "Người dân phải đeo khẩu trang nơi công cộng.",
                                  "date": "2021-08-01"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli.main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "idx"), "--model", str(model_dir)]) == 0
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["documents"] == 1 and manifest["dim"] == 384 and manifest["model"] == str(model_dir)
