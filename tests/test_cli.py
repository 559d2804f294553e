"""The `rulebot` command as a user runs it: a real process, a real index, the real model."""
import json
import os
import subprocess
import sys

import pytest


def rulebot(*args, stdin=None, index=None, model=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if index:
        env["RULEBOT_INDEX"] = str(index)
    if model:
        env["RULEBOT_MODEL"] = str(model)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def paths(index_dir, model_dir):
    return {"index": index_dir, "model": model_dir}


def test_ask_prints_a_short_vietnamese_answer_with_quote_and_source(paths):
    out = rulebot("ask", "Tôi có được ra ngoài không?", **paths)
    assert out.returncode == 0, out.stderr
    assert "“" in out.stdout and "— " in out.stdout and "/2021" in out.stdout
    assert "Traceback" not in out.stderr


def test_search_reads_questions_from_stdin_and_prints_json_lines(paths):
    out = rulebot("search", "--k", "3", "--jsonl",
                  stdin="Tôi có được ra ngoài không?\ntoi co duoc ra ngoai khong\nGiá vàng hôm nay bao nhiêu?\n\n",
                  **paths)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["question"] for r in lines] == ["Tôi có được ra ngoài không?", "toi co duoc ra ngoai khong",
                                              "Giá vàng hôm nay bao nhiêu?"]
    first = lines[0]
    assert first["abstained"] is False and len(first["results"]) == 3
    assert set(first["results"][0]) == {"rank", "score", "text", "source_id", "title", "date", "location",
                                        "start", "end"}
    assert [r["rank"] for r in first["results"]] == [1, 2, 3]
    assert lines[1]["results"][0]["text"] == first["results"][0]["text"]
    assert lines[2]["abstained"] is True


def test_ask_json_and_as_of(paths):
    out = rulebot("ask", "--json", "--as-of", "2021-07-20", "Ai phải chịu trách nhiệm khi để dịch lây lan?", **paths)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["as_of"] == "2021-07-20"
    assert all(c["source"]["date"] <= "2021-07-20" for c in [answer["main"], *answer["more"]] if c)


def test_errors_are_one_clear_line_on_stderr_with_a_nonzero_exit(tmp_path, model_dir):
    out = rulebot("ask", "Tôi có được ra ngoài không?", index=tmp_path / "none", model=model_dir)
    assert out.returncode == 2 and "rulebot index" in out.stderr and "Traceback" not in out.stderr
    out = rulebot("ask", "--as-of", "31/7/2021", "x")
    assert out.returncode == 2 and "YYYY-MM-DD" in out.stderr
    out = rulebot("index", "--corpus", str(tmp_path / "missing.jsonl"), "--index", str(tmp_path / "i"),
                  model=model_dir)
    assert out.returncode == 2 and "not found" in out.stderr and "Traceback" not in out.stderr


def test_an_empty_question_is_refused_politely(paths):
    out = rulebot("ask", "   ", **paths)
    assert out.returncode == 1 and "chưa nhập câu hỏi" in out.stdout


def test_index_builds_any_jsonl_corpus(tmp_path, model_dir):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "Quy định A", "text": "Người dân phải đeo khẩu trang nơi công cộng.",
                                  "date": "2021-08-01"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = rulebot("index", "--corpus", str(corpus), "--index", str(tmp_path / "idx"), model=model_dir)
    assert out.returncode == 0, out.stderr
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["documents"] == 1 and manifest["dim"] == 384 and manifest["model"] == str(model_dir)
    out = rulebot("search", "--jsonl", stdin="có phải đeo khẩu trang không\n", index=tmp_path / "idx", model=model_dir)
    assert json.loads(out.stdout)["results"][0]["source_id"] == "a"
