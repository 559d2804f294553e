"""Small talk is recognised as a whole message, and never mistaken for a real question."""
from pathlib import Path

import pytest

from retrieval import faq
from retrieval.evaluation import gold
from retrieval.smalltalk import is_small_talk, small_talk_kind

NEAR_MISS = Path(__file__).resolve().parents[2] / "data" / "gold" / "near_miss.jsonl"


@pytest.mark.parametrize("text, kind", [
    ("Xin chào", "greeting"), ("chaooo bot", "greeting"), ("Alo ad ơi", "greeting"),
    ("Cảm ơn bạn nhiều lắm!", "thanks"), ("camon nha", "thanks"), ("ok cảm ơn", "thanks"),
    ("Bạn là ai vậy?", "identity"), ("chào bot, bạn làm được gì?", "identity"),
    ("okkk", "ack"), ("Dạ vâng ạ", "ack"), ("hiểu rồi", "ack"),
    ("hahaha", "laughter"), ("kkkk", "laughter"), ("ha ha", "laughter"),
    ("👍👍", "emoji"), (":))", "emoji"), (":D", "emoji"), ("❤️", "emoji"),
    ("Tạm biệt nhé", "bye"), ("bye bye ad", "bye"), ("chúc bot ngủ ngon", "bye"),
])
def test_kinds(text, kind):
    assert small_talk_kind(text) == kind


@pytest.mark.parametrize("text", [
    "chào bot, tôi có được ra ngoài không?", "cảm ơn, cho hỏi chợ có mở không",
    "ok vậy quán cắt tóc thì sao", "bạn là ai mà bắt tôi cách ly?", "ban chi dao la ai",
    "được không?", "ok không", "5K là gì", "F0", "?", "...", "", "   ", "123",
    "tôi muốn cảm ơn các y bác sĩ thì gửi thư ở đâu",
])
def test_questions_and_noise_are_not_small_talk(text):
    assert not is_small_talk(text)


@pytest.mark.parametrize("bad", [None, 42, b"xin chao", ["hi"], "\x00\x1b[31mhi\x1b[0m",
                                 "chào " * 10_000, "\ud800", "e\u0301"])
def test_never_raises(bad):
    assert small_talk_kind(bad) in (None, "greeting", "thanks", "identity", "ack", "bye",
                                    "laughter", "emoji")


def test_decomposed_text_is_read_like_composed():
    import unicodedata
    assert small_talk_kind(unicodedata.normalize("NFD", "Cảm ơn nhé")) == "thanks"


def test_every_dev_small_talk_line_is_caught():
    lines = [q.question for q in gold.load(NEAR_MISS, "dev") if q.topic == "smalltalk"]
    assert lines and [t for t in lines if not is_small_talk(t)] == []


def test_no_faq_question_is_taken_for_small_talk():
    _, entries = faq.curated()
    asks = [a for e in entries for a in e.ask]
    assert len(asks) > 500
    assert [a for a in asks if is_small_talk(a)] == []


def test_no_near_miss_question_is_taken_for_small_talk():
    qs = [q.question for q in gold.load(NEAR_MISS) if q.topic == "near-miss"]
    assert [q for q in qs if is_small_talk(q)] == []
