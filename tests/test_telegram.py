"""The Telegram channel end to end: python-telegram-bot's real networking against a fake Bot API
on 127.0.0.1 (tests/fake_telegram.py), the real engine and index, and a real exchange log."""
from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import httpx
import pytest
from telegram.ext import AIORateLimiter

from bot import cli
from bot import render
from bot.exchange_log import ExchangeLog
from bot.service import (ERROR_MESSAGE, EXAMPLES, FLOOD_MESSAGE, GREETING, HELP, NON_TEXT_MESSAGE,
                         Exchange, Service)
from bot.telegram import (CHANNEL, FEEDBACK_AGAIN, FEEDBACK_THANKS, FEEDBACK_UNKNOWN, PatientRateLimiter,
                          Settings, SettingsError, build_application, setup_logging, start,
                          stop)
from fake_telegram import BOT, FakeTelegram, blockquotes, parse_html, utf16_len
from retrieval.types import Answer, Citation, Source

REPO = Path(__file__).resolve().parent.parent
SOURCE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((REPO / "data" / "sources").glob("*.txt"))]
GOLD = [json.loads(line) for line in (REPO / "data" / "gold" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()]
DATED = re.compile(r"ngày \d{2}/\d{2}/\d{4}")
OFF_TOPIC = "Giá vàng hôm nay bao nhiêu?"
GROUP = -1001234567


# --- fixtures and helpers -----------------------------------------------------------------------

@pytest.fixture
def fake():
    f = FakeTelegram().start()
    yield f
    f.stop()


@pytest.fixture
def xlog(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="test-salt")
    yield log
    log.close()


class CachedEngine:
    """The real engine, asked once per distinct question: repeats cost nothing, so a load test measures
    the channel rather than CPU contention on the test machine."""

    def __init__(self, engine):
        self.engine = engine
        self.calls = 0
        self._cache: dict[str, Answer] = {}
        self._lock = threading.Lock()

    @property
    def sources(self):
        return self.engine.sources

    def answer(self, question: str, as_of=None) -> Answer:
        with self._lock:
            if question not in self._cache:
                self.calls += 1
                self._cache[question] = self.engine.answer(question)
            return self._cache[question]


def settings_for(fake: FakeTelegram, **kw) -> Settings:
    base = dict(token=fake.token, api_url=fake.api_url, poll_timeout=5, connect_timeout=2.0,
                read_timeout=2.0, write_timeout=2.0, pool_timeout=30.0)
    return Settings(**{**base, **kw})


@contextlib.asynccontextmanager
async def running(fake, service, *, webhook=False, limiter=None, **settings):
    s = settings_for(fake, **settings)
    app = build_application(s, service, rate_limiter=limiter or PatientRateLimiter(backoff=0.1))
    await start(app, s, webhook=webhook)
    try:
        yield app
    finally:
        await stop(app)


async def settled(fake, xlog, n: int, timeout: float = 30.0) -> list[dict]:
    """Wait until n exchanges are complete (answered, or failed to send) in the log."""
    def done():
        rows = xlog.rows()
        return rows if len(rows) >= n and all(r["status"] != "received" for r in rows) else None
    return await fake.wait_for(done, timeout, f"{n} completed exchanges in the log")


def verbatim(quote: str) -> bool:
    return any(quote.removesuffix(" …") in text for text in SOURCE_TEXTS)


def question(split_ok=lambda q: True, **want) -> str:
    for q in GOLD:
        if all(q.get(k) == v for k, v in want.items()) and split_ok(q):
            return q["question"]
    raise LookupError(want)


# --- answering ----------------------------------------------------------------------------------

async def test_question_gets_quoted_dated_answer_and_is_logged(fake, engine, xlog):
    user = 987654321
    q = "Các chốt kiểm dịch ở cửa ngõ Hà Nội có trực cả đêm không?"
    async with running(fake, Service(engine, xlog)):
        fake.text(user, q)
        [row] = await settled(fake, xlog, 1)
    [reply] = fake.to(user)
    assert reply.parse_mode == "HTML"
    quotes = blockquotes(reply.markup)
    assert quotes and all(verbatim(x) for x in quotes), quotes
    assert DATED.search(reply.text)
    assert reply.buttons() == [("👍 Đúng", f"fb:up:{row['id']}"), ("👎 Chưa đúng", f"fb:down:{row['id']}")]
    assert (user, "typing") in fake.actions
    assert fake.commands and [c["command"] for c in fake.commands] == ["start", "help", "nguon"]
    # the log: text, status, citations with scores, the reply as sent, latency; never the raw id
    assert row["question"] == q and row["channel"] == CHANNEL and row["status"] == "answered"
    assert row["abstained"] == 0 and row["delivered"] == 1 and row["latency_ms"] > 0
    cites = json.loads(row["citations"])
    assert cites and all(c["chunk_id"] and isinstance(c["score"], float) for c in cites)
    assert row["reply"] == reply.markup
    assert row["user_hash"] == xlog.user_hash(CHANNEL, user)
    assert str(user) not in json.dumps(row, ensure_ascii=False)


async def test_question_without_diacritics_is_answered(fake, engine, xlog):
    q = "xe vao ha noi qua chot co bi kiem tra het ko"
    async with running(fake, Service(engine, xlog)):
        fake.text(202, q)
        [row] = await settled(fake, xlog, 1)
    [reply] = fake.to(202)
    quotes = blockquotes(reply.markup)
    assert quotes and all(verbatim(x) for x in quotes)
    assert DATED.search(reply.text) and row["status"] == "answered"


async def test_off_topic_question_abstains_and_points_to_the_hotline(fake, engine, xlog):
    async with running(fake, Service(engine, xlog)):
        fake.text(303, OFF_TOPIC)
        [row] = await settled(fake, xlog, 1)
    [reply] = fake.to(303)
    assert "chưa tìm thấy" in reply.text and render.hotline() in reply.text
    assert not blockquotes(reply.markup)
    assert row["abstained"] == 1 and row["status"] == "no_match" and json.loads(row["citations"]) == []
    assert reply.buttons()  # a wrong abstention deserves a 👎 too


async def test_html_looking_user_text_comes_back_escaped(fake, engine, xlog):
    q = "<b>Tôi có được ra ngoài không?</b> <script>alert(1)</script> & 1 < 2"
    async with running(fake, Service(engine, xlog)):
        fake.text(404, q)
        [row] = await settled(fake, xlog, 1)
    [reply] = fake.to(404)
    parse_html(reply.markup)  # Telegram's rules: the fake would have refused it otherwise
    assert "<script" not in reply.markup and "<b>" not in reply.markup
    assert row["question"] == q


async def test_start_help_and_sources(fake, engine, xlog):
    async with running(fake, Service(engine, xlog)):
        fake.text(505, "/start")
        [hello] = await fake.wait_for(lambda: fake.to(505))
        assert hello.text.startswith(GREETING)
        assert [t for t, _ in hello.buttons()] == list(EXAMPLES)
        fake.text(505, "/help")
        fake.text(505, "/nguon")
        await fake.wait_for(lambda: len(fake.to(505)) >= 3)
        # an example button asks its question for the user
        fake.press(hello, "ex:2")
        await settled(fake, xlog, 1)
        await fake.wait_for(lambda: len(fake.to(505)) >= 5)
    by_text = fake.to(505)
    assert any(m.text == HELP for m in by_text)
    [sources] = [m for m in by_text if m.text.startswith("Các văn bản")]
    for s in engine.sources:
        assert s.title in sources.text and render.vn_date(s.date) in sources.text
    echo, answer = by_text[-2:]
    assert echo.text == f"❓ {EXAMPLES[2]}" and answer.reply_to == echo.message_id
    assert xlog.rows()[0]["question"] == EXAMPLES[2]
    assert fake.callback_answers


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location", "document"])
async def test_non_text_gets_a_polite_request_to_type(fake, engine, xlog, kind):
    payload = {
        "sticker": None,
        "photo": {"photo": [{"file_id": "p", "file_unique_id": "p1", "width": 90, "height": 90}]},
        "voice": {"voice": {"file_id": "v", "file_unique_id": "v1", "duration": 3}},
        "location": {"location": {"latitude": 21.03, "longitude": 105.85}},
        "document": {"document": {"file_id": "d", "file_unique_id": "d1", "file_name": "don.pdf"}},
    }[kind]
    async with running(fake, Service(engine, xlog)):
        if payload is None:
            fake.sticker(606)
        else:
            fake.push(fake.message(606, **payload))
        [reply] = await fake.wait_for(lambda: fake.to(606))
    assert reply.text == NON_TEXT_MESSAGE
    assert xlog.rows() == []  # not a question


async def test_feedback_press_is_stored_linked_and_acknowledged(fake, engine, xlog):
    async with running(fake, Service(engine, xlog)):
        fake.text(707, "Người về từ vùng dịch có phải xét nghiệm không?")
        [row] = await settled(fake, xlog, 1)
        [answer] = fake.to(707)
        fake.press(answer, f"fb:down:{row['id']}")
        await fake.wait_for(lambda: fake.markup_edits)
        fake.press(answer, "fb:done")
        fake.press(answer, "fb:up:0123456789abcdef")  # an exchange this log never saw
        await fake.wait_for(lambda: len(fake.callback_answers) == 3)
    [fb] = xlog.rows("feedback")
    assert fb["exchange_id"] == row["id"] and fb["value"] == "down"
    assert fb["user_hash"] == xlog.user_hash(CHANNEL, 707)
    texts = [a.get("text") for a in fake.callback_answers]
    assert texts == [FEEDBACK_THANKS, FEEDBACK_AGAIN, FEEDBACK_UNKNOWN]
    assert answer.buttons() == [("👎 Đã ghi nhận góp ý", "fb:done")]


async def test_a_10000_character_answer_is_split_validly(fake, engine, xlog):
    """A hand-built answer through the real rendering and sending path."""
    sentence = "Khoản {}: người dân <b>không</b> tụ tập quá 5 người & giữ khoảng cách > 2 m."
    quote = " ".join(sentence.format(i) for i in range(1, 131))
    assert len(quote) >= 10_000
    src = Source(id="t", title="Chỉ thị <thử> & kiểm tra", kind="chỉ thị", issuer="UBND phường <A>",
                 date=date(2021, 7, 31), place="Hà Nội", number="Số 1/CT")
    main = Citation(quote, src, "Điều 1", "t#1", 0, len(quote), 0.91)
    more = tuple(Citation(sentence.format(i) * 4, src, f"Điều {i}", f"t#{i}", 0, 1, 0.7) for i in (2, 3))
    answer = Answer("câu hỏi dài", "answered", main=main, more=more)
    async with running(fake, Service(engine, xlog)) as app:
        xid = xlog.question(CHANNEL, 808, answer.question)
        channel = app.bot_data["channel"]
        parts = await channel.send_answer(app.bot, 808, Exchange(xid, answer, time.perf_counter()))
    sent = fake.to(808)
    assert len(sent) == len(parts) >= 3 and [m.markup for m in sent] == parts
    for m in sent:
        assert utf16_len(parse_html(m.markup)[0]) <= 4096 and len(m.markup) <= 4096
    quotes = [q for m in sent for q in blockquotes(m.markup)]
    assert " ".join(quotes[: len(quotes) - len(more)]) == quote  # cut only between sentences
    assert "<b>không</b>" not in "".join(parts) and "&lt;b&gt;không&lt;/b&gt;" in parts[0]
    assert sum(m.text.count("Chỉ thị <thử> & kiểm tra") for m in sent) == 3
    assert [bool(m.buttons()) for m in sent] == [False] * (len(sent) - 1) + [True]
    [row] = xlog.rows()
    assert row["reply"] == "\n".join(parts) and row["delivered"] == 1


async def test_groups_answer_only_when_addressed(fake, engine, xlog):
    me = "@" + BOT["username"]
    async with running(fake, Service(CachedEngine(engine), xlog)):
        fake.text(GROUP, "Tôi có được ra ngoài không?", user_id=11, chat_type="supergroup")
        fake.sticker(GROUP, user_id=11, chat_type="supergroup")
        fake.text(GROUP, f"{me} người về từ vùng dịch có phải xét nghiệm không?", user_id=12,
                  chat_type="supergroup")
        fake.text(GROUP, f"/help{me}", user_id=13, chat_type="supergroup")
        await settled(fake, xlog, 1)
        await fake.wait_for(lambda: len(fake.to(GROUP)) >= 2)
        answer = next(m for m in fake.to(GROUP) if m.text != HELP)
        fake.text(GROUP, "Còn chốt kiểm dịch thì sao?", user_id=12, chat_type="supergroup", reply_to=answer)
        fake.sticker(GROUP, user_id=12, chat_type="supergroup", reply_to=answer)
        await settled(fake, xlog, 2)
        await fake.wait_for(lambda: len(fake.to(GROUP)) >= 4)
        await asyncio.sleep(0.3)
    rows = xlog.rows()
    assert [r["question"] for r in rows] == ["người về từ vùng dịch có phải xét nghiệm không?",
                                             "Còn chốt kiểm dịch thì sao?"]
    texts = [m.text for m in fake.to(GROUP)]
    assert len(texts) == 4 and texts.count(HELP) == 1 and texts.count(NON_TEXT_MESSAGE) == 1
    assert all(m.reply_to for m in fake.to(GROUP))  # in a busy group, each reply quotes its question


async def test_flood_limit_answers_five_and_says_so_once(fake, engine, xlog):
    q = GOLD[0]["question"]
    async with running(fake, Service(CachedEngine(engine), xlog)):
        fake.push_many([fake.message(909, f"{q} ({i})") for i in range(7)])
        await settled(fake, xlog, 7)
        await fake.wait_for(lambda: len(fake.to(909)) >= 6)
        await asyncio.sleep(0.3)
    texts = [m.text for m in fake.to(909)]
    assert len(texts) == 6 and texts.count(FLOOD_MESSAGE) == 1
    rows = xlog.rows()
    assert len(rows) == 7 and sum(r["error"] == "flood-limited" for r in rows) == 2


async def test_engine_failure_is_reported_and_the_bot_keeps_going(fake, engine, xlog):
    class Flaky(CachedEngine):
        def answer(self, question, as_of=None):
            if "boom" in question:
                raise RuntimeError("index on fire")
            return super().answer(question, as_of)

    async with running(fake, Service(Flaky(engine), xlog)):
        fake.text(1001, "boom: có được ra ngoài không?")
        [failed] = await fake.wait_for(lambda: fake.to(1001))
        fake.text(1001, "Tôi có được ra ngoài không?")
        await fake.wait_for(lambda: len(fake.to(1001)) >= 2)
        rows = await settled(fake, xlog, 2)
    assert failed.text == ERROR_MESSAGE
    assert [r["error"] for r in rows] == ["engine-error", None]
    assert blockquotes(fake.to(1001)[1].markup)


async def test_a_failing_log_write_does_not_lose_the_answer(fake, engine, xlog):
    async with running(fake, Service(CachedEngine(engine), xlog)):
        xlog._db.conn.close()  # the database is gone mid-run (disk, permissions, …)
        fake.text(1101, "Tôi có được ra ngoài không?")
        [reply] = await fake.wait_for(lambda: fake.to(1101))
        await fake.wait_for(lambda: xlog.spool.exists() and len(xlog.spool.read_text().splitlines()) >= 2)
    assert blockquotes(reply.markup)
    spooled = [json.loads(line) for line in xlog.spool.read_text(encoding="utf-8").splitlines()]
    assert spooled[0]["row"]["question"] == "Tôi có được ra ngoài không?"
    assert spooled[-1]["row"]["reply"] == reply.markup


# --- faults -------------------------------------------------------------------------------------

async def test_bot_api_faults_are_survived_and_every_question_is_logged(fake, engine, xlog):
    fake.fault("getUpdates", "500")
    fake.fault("getUpdates", "badjson")
    fake.fault("getUpdates", "429", retry_after=1)
    fake.fault("getUpdates", "slow", delay=1.0)
    fake.fault("sendMessage", "500", times=2)
    fake.fault("sendMessage", "502")
    fake.fault("sendMessage", "429", retry_after=1)
    fake.fault("sendMessage", "badjson")
    fake.fault("sendMessage", "hang", delay=3.5)  # longer than the bot's 3 s read timeout
    fake.fault("sendMessage", "slow", delay=0.5)
    fake.fault("sendChatAction", "500", times=3)
    fake.fault("answerCallbackQuery", "500")
    chats = list(range(1201, 1207))
    questions = [g["question"] for g in GOLD[: len(chats)]]
    t0 = time.perf_counter()
    async with running(fake, Service(CachedEngine(engine), xlog), read_timeout=3.0):
        for chat, q in zip(chats, questions):
            fake.text(chat, q)
        rows = await settled(fake, xlog, len(chats), timeout=60)
        await fake.wait_for(lambda: all(fake.to(c) for c in chats), 30, "a reply in every chat")
        # still running afterwards: a feedback press and a new question go through
        first = fake.to(chats[0])[-1]
        fake.press(first, f"fb:up:{next(r['id'] for r in rows if r['question'] == questions[0])}")
        fake.text(1299, OFF_TOPIC)
        await settled(fake, xlog, len(chats) + 1)
        await fake.wait_for(lambda: fake.to(1299) and len(xlog.rows("feedback")) == 1)
    elapsed = time.perf_counter() - t0
    assert fake.faults_left() == 0
    rows = xlog.rows()
    assert Counter(r["question"] for r in rows) == Counter(questions + [OFF_TOPIC])  # each exactly once
    assert all(r["delivered"] == 1 for r in rows)
    assert all(len(fake.to(c)) == 1 for c in chats)  # faulted sends were not recorded, so no duplicates
    print(f"\nfaults survived in {elapsed:.1f} s")


# --- load ---------------------------------------------------------------------------------------

async def test_load_200_chats_5_questions_each(fake, engine, xlog):
    pool = [g["question"] for g in GOLD[:9]] + [OFF_TOPIC]
    cached = CachedEngine(engine)
    t = time.perf_counter()
    for q in pool:
        cached.answer(q)  # the real engine, once per distinct question
    engine_ms = (time.perf_counter() - t) / len(pool) * 1000
    chats = list(range(20_000, 20_200))
    asked = {c: [pool[(c * 7 + k) % len(pool)] for k in range(5)] for c in chats}
    # Telegram's 30 messages/s cap would make 1,000 replies take 33 s whatever the bot does; the
    # limiter stays in the path (retries, 429 handling) with its overall cap lifted for this run.
    limiter = PatientRateLimiter(overall_max_rate=0, backoff=0.1)
    async with running(fake, Service(cached, xlog), limiter=limiter, read_timeout=10.0):  # no spurious retries
        await fake.wait_for(lambda: fake.called("getUpdates"))
        t0 = time.perf_counter()
        fake.push_many([fake.message(c, asked[c][k]) for k in range(5) for c in chats])
        # poll cheaply and rarely: the test shares the event loop with the bot it measures
        await fake.wait_for(lambda: len(fake.messages) >= 1000, 150, "1,000 replies", every=0.25)
        rows = await settled(fake, xlog, 1000, timeout=30)
        await asyncio.sleep(0.5)
    sent = fake.messages
    assert len(sent) == 1000 and not any(m.text == FLOOD_MESSAGE for m in sent)
    assert Counter(m.chat_id for m in sent) == Counter({c: 5 for c in chats})
    assert len(rows) == 1000 and all(r["delivered"] == 1 and r["error"] is None for r in rows)
    hashes = {xlog.user_hash(CHANNEL, c): c for c in chats}
    for c in chats:  # each question logged once, and each logged reply is what the chat received
        mine = [r for r in rows if hashes[r["user_hash"]] == c]
        assert Counter(r["question"] for r in mine) == Counter(asked[c])
        assert Counter(r["reply"] for r in mine) == Counter(m.markup for m in fake.to(c))
    waits = sorted(m.at - t0 for m in sent)
    span = waits[-1]
    p95 = waits[int(0.95 * len(waits)) - 1]
    service_p95 = sorted(r["latency_ms"] for r in rows)[int(0.95 * len(rows)) - 1]
    print(f"\nload: 1000 questions from 200 chats in {span:.2f} s = {1000 / span:.0f} replies/s; "
          f"reply latency from the burst p50 {statistics.median(waits) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms; per-question service latency p95 {service_p95:.0f} ms; "
          f"real engine {engine_ms:.0f} ms/question uncached ({cached.calls} distinct)")


async def test_replies_are_paced_by_the_rate_limiter(fake, engine, xlog):
    app = build_application(settings_for(fake), Service(engine, xlog))
    assert isinstance(app.bot.rate_limiter, AIORateLimiter)
    assert app.bot.rate_limiter._base_limiter.max_rate == 30  # Telegram's broadcast limit
    chats = list(range(1300, 1312))
    cached = CachedEngine(engine)
    cached.answer(OFF_TOPIC)
    async with running(fake, Service(cached, xlog), limiter=PatientRateLimiter(overall_max_rate=8)):
        fake.push_many([fake.message(c, OFF_TOPIC) for c in chats])
        await fake.wait_for(lambda: len(fake.messages) == len(chats))
    times = sorted(m.at for m in fake.messages)
    assert times[-1] - times[0] >= 0.4  # 12 replies and up to 12 typing actions at 8/s cannot all go at once


# --- webhook ------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_requires_the_secret_token(fake, engine, xlog):
    port, secret = _free_port(), "s3cret-Token_for-tests"
    async with running(fake, Service(CachedEngine(engine), xlog), webhook=True,
                       webhook_url="https://bot.example.test/tg/hook", listen_port=port, secret=secret):
        assert fake.webhook["url"] == "https://bot.example.test/tg/hook"
        assert fake.webhook["secret_token"] == secret
        url = f"http://127.0.0.1:{port}/tg/hook"

        def update(uid, chat):
            return {"update_id": uid, **fake.message(chat, "Tôi có được ra ngoài không?")}

        async with httpx.AsyncClient(timeout=5) as client:
            none = await client.post(url, json=update(1, 1401))
            wrong = await client.post(url, json=update(2, 1402),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
            right = await client.post(url, json=update(3, 1403),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": secret})
        assert (none.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
        [row] = await settled(fake, xlog, 1)
        await fake.wait_for(lambda: fake.to(1403))
        await asyncio.sleep(0.3)
    assert row["user_hash"] == xlog.user_hash(CHANNEL, 1403) and len(xlog.rows()) == 1
    assert not fake.to(1401) and not fake.to(1402)
    assert blockquotes(fake.to(1403)[0].markup)


# --- settings, secrets, command line ------------------------------------------------------------

GOOD = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_settings_from_environment():
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD})
    assert s.bot_base_url == "https://api.telegram.org/bot" and GOOD not in repr(s)
    for given in ("http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"):
        s = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_API_BASE_URL": given})
        assert s.bot_base_url == "http://127.0.0.1:8081/bot"
    w = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_WEBHOOK_URL": "https://x.example/tg",
                           "TELEGRAM_WEBHOOK_LISTEN": "0.0.0.0:8080", "TELEGRAM_WEBHOOK_SECRET": "abc_DEF-1"},
                          webhook=True)
    assert (w.listen_host, w.listen_port, w.webhook_path, w.secret) == ("0.0.0.0", 8080, "tg", "abc_DEF-1")
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_WEBHOOK_URL": "https://x.example/"},
                             webhook=True).secret  # a random one when none is set
    bad = [({}, "not set"), ({"TELEGRAM_BOT_TOKEN": "abc"}, "does not look like"),
           ({"TELEGRAM_BOT_TOKEN": f'"{GOOD}"'}, "does not look like"),
           ({"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_API_BASE_URL": "api.telegram.org"}, "not an http"),
           ({"TELEGRAM_BOT_TOKEN": GOOD}, "TELEGRAM_WEBHOOK_URL"),
           ({"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_WEBHOOK_URL": "https://x/t", "TELEGRAM_WEBHOOK_LISTEN": "8443"},
            "host:port"),
           ({"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_WEBHOOK_URL": "https://x/t", "TELEGRAM_WEBHOOK_SECRET": "a b"},
            "TELEGRAM_WEBHOOK_SECRET")]
    for env, why in bad:
        with pytest.raises(SettingsError, match=why):
            Settings.from_env(env, webhook="WEBHOOK" in why or "TELEGRAM_WEBHOOK_URL" in env)


def test_token_is_redacted_from_library_logs():
    stream = io.StringIO()
    handler = setup_logging(GOOD, level="DEBUG", stream=stream)
    try:
        logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "POST",
                                        f"https://api.telegram.org/bot{GOOD}/getUpdates", "HTTP/1.1 200 OK")
        try:
            raise RuntimeError(f"failed calling https://api.telegram.org/bot{GOOD}/sendMessage")
        except RuntimeError:
            logging.getLogger("telegram.ext").exception("boom")
        logging.getLogger("other").warning("a token we were never told about: 555666:%s", "x" * 35)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    out = stream.getvalue()
    assert GOOD not in out and GOOD.split(":")[1] not in out and "x" * 35 not in out
    assert out.count("<token>") == 3


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith("TELEGRAM_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)  # no stray .env
    handlers = list(logging.getLogger().handlers)
    yield monkeypatch
    logging.getLogger().handlers[:] = handlers


@pytest.mark.parametrize("token, why", [(None, "TELEGRAM_BOT_TOKEN is not set"),
                                        ("12345", "does not look like a bot token")])
def test_missing_or_malformed_token_is_a_clear_message(clean_env, capsys, token, why):
    if token:
        clean_env.setenv("TELEGRAM_BOT_TOKEN", token)
    assert cli.main(["telegram"]) == 2
    err = capsys.readouterr().err
    assert why in err and "Traceback" not in err


def test_rejected_token_is_a_clear_message(clean_env, capsys, fake):
    wrong = "7000001:AAH-well-formed-but-revoked-token-xyz"
    clean_env.setenv("TELEGRAM_BOT_TOKEN", wrong)
    clean_env.setenv("TELEGRAM_API_BASE_URL", fake.api_url)
    assert cli.main(["telegram"]) == 2
    err = capsys.readouterr().err
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in err and "Traceback" not in err and wrong not in err


def test_dotenv_is_read_without_overriding_the_environment(clean_env, tmp_path):
    from bot.telegram import load_dotenv

    (tmp_path / ".env").write_text(f'# bot\nexport TELEGRAM_BOT_TOKEN="{GOOD}"\nTELEGRAM_WEBHOOK_URL=https://a/b\n')
    clean_env.setenv("TELEGRAM_WEBHOOK_URL", "https://kept/here")
    load_dotenv()
    assert os.environ["TELEGRAM_BOT_TOKEN"] == GOOD and os.environ["TELEGRAM_WEBHOOK_URL"] == "https://kept/here"


async def test_rulebot_telegram_command_polls_answers_and_keeps_the_token_out_of_its_log(fake, index_dir, tmp_path):
    """`rulebot telegram` as an operator runs it, at DEBUG so the libraries log every request URL."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": f"{fake.api_url}/bot",
           "RULEBOT_INDEX": str(index_dir), "RULEBOT_LOG": str(tmp_path / "cli-log.db"),
           "RULEBOT_LOG_LEVEL": "DEBUG", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        await fake.wait_for(lambda: proc.poll() is not None or fake.called("getUpdates"), 120, "polling")
        assert proc.poll() is None, proc.communicate()[1].decode()
        fake.text(1501, "Tôi có được ra ngoài không?")
        await fake.wait_for(lambda: fake.to(1501), 60, "the reply")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    err = err.decode()
    assert proc.returncode == 0, err[-2000:]
    assert blockquotes(fake.to(1501)[0].markup)
    assert fake.token not in err and fake.token.split(":")[1] not in err
    assert "<token>" in err  # the redaction did fire: the URLs were logged
    rows = ExchangeLog(tmp_path / "cli-log.db").rows()
    assert [r["question"] for r in rows] == ["Tôi có được ra ngoài không?"] and rows[0]["delivered"] == 1
