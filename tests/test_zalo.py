"""The Zalo channel end to end, against a fake Zalo Bot API on 127.0.0.1 (tests/fake_zalo.py)."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
from pathlib import Path

import pytest

from bot import cli, zalo
from bot.exchange_log import ExchangeLog
from bot.render import source_line, vn_date
from bot.service import (ERROR_MESSAGE, FLOOD_MESSAGE, GREETING, NON_TEXT_MESSAGE, FloodLimiter, Service)
from retrieval.types import Answer, Citation

from fake_zalo import BOT_NAME, MAX_TEXT, FakeZalo

TOKEN = "1234567890:Zalo-test_TOKEN-abcdef0123456789"
SECRET = "webhook-secret-0123"
SOURCES = [p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.parent.glob("data/sources/*.txt"))]
FAST = dict(poll_timeout=1, grace=0.5, backoff=(0.05, 0.2))  # the fake's "slow" outlasts 1.5 s

OUT = "Tôi có được ra ngoài không?"
OUT_PLAIN = "toi co duoc ra ngoai khong"
OFF_TOPIC = "Giá vàng hôm nay bao nhiêu?"


class Scripted:
    """The real engine, except for questions given a ready answer (or a failure) by the test."""

    def __init__(self, engine, script: dict):
        self.engine, self.script = engine, script

    @property
    def sources(self):
        return self.engine.sources

    def answer(self, question: str) -> Answer:
        got = self.script.get(question)
        if isinstance(got, Exception):
            raise got
        return got or self.engine.answer(question)


@pytest.fixture
def exchange_log(tmp_path):
    log = ExchangeLog(tmp_path / "log.db", salt="test")
    yield log
    log.close()


@pytest.fixture
def service(engine, exchange_log):
    return Service(engine, exchange_log, FloodLimiter(limit=50, window=10))


@contextlib.asynccontextmanager
async def polling(service: Service):
    fake = FakeZalo(TOKEN, slow_seconds=2.0)
    await fake.start()
    api = zalo.Api(TOKEN, fake.base_url)
    bot = zalo.ZaloBot(api, service, **FAST)
    await bot.setup()
    task = asyncio.create_task(bot.run_polling())
    try:
        yield fake
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bot.close()
        await api.aclose()
        await fake.stop()


def main_quote(reply: str) -> tuple[str, str]:
    """(the first quoted clause, the source line under it) of a Plain reply."""
    lines = reply.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("“") and line.endswith("”"))
    return lines[i][1:-1], lines[i + 1]


def questions(log: ExchangeLog) -> list[str]:
    return sorted(r["question"] for r in log.rows())


# --- answers -------------------------------------------------------------------------------

@pytest.mark.parametrize("question", [OUT, OUT_PLAIN])
async def test_question_gets_the_verbatim_clause_and_its_dated_source(service, exchange_log, question):
    async with polling(service) as fake:
        fake.push(question)
        [reply] = await fake.wait_texts(1)
    quote, source = main_quote(reply)
    assert any(quote in text for text in SOURCES), "the quote must be verbatim from a source file"
    assert source.startswith("— ") and re.search(r"ngày \d{2}/\d{2}/\d{4}", source)
    assert "<" not in reply and "**" not in reply  # Zalo shows markup literally
    [row] = exchange_log.rows()
    assert (row["channel"], row["question"], row["status"], row["delivered"]) == ("zalo", question, "answered", 1)
    assert row["reply"] == reply


async def test_off_topic_question_is_declined_with_where_to_ask(service, exchange_log):
    async with polling(service) as fake:
        fake.push(OFF_TOPIC)
        [reply] = await fake.wait_texts(1)
    assert "chưa tìm thấy quy định" in reply and "1900 9095" in reply
    assert "“" not in reply
    [row] = exchange_log.rows()
    assert (row["channel"], row["status"], row["abstained"]) == ("zalo", "no_match", 1)


async def test_long_answer_is_split_under_the_limit_between_clauses(engine, exchange_log):
    src = engine.sources[0]
    sentences = [s for s in re.split(r"(?<=[.;])\s+", " ".join(SOURCES)) if 20 < len(s) < 400 and "\n" not in s]
    long_quote, i = "", 0
    while len(long_quote) < 2600:
        long_quote += (" " if long_quote else "") + sentences[i]
        i += 1
    cite = lambda q, n: Citation(q, src, f"đoạn {n}", f"c{n}", 0, len(q), 0.9)  # noqa: E731
    answer = Answer("câu hỏi dài", "answered", main=cite(long_quote, 1),
                    more=(cite(sentences[i] * 3, 2), cite(sentences[i + 1] * 3, 3)))
    service = Service(Scripted(engine, {"câu hỏi dài": answer}), exchange_log)
    async with polling(service) as fake:
        fake.push("câu hỏi dài")
        await fake.wait_texts(2)
        await asyncio.sleep(0.3)
        parts = fake.texts()
    assert not fake.rejected and len(parts) >= 2
    assert all(len(p) <= MAX_TEXT for p in parts)
    joined = "\n".join(parts)
    for sentence in re.split(r"(?<=[.;…!?])\s+", long_quote):
        assert sentence in joined  # cut between sentences, never inside one
    for p in parts:  # every part reads on its own: each quote line is opened and closed
        for line in p.splitlines():
            assert line.startswith("“") == line.endswith("”")
    assert joined.index(source_line(src, "đoạn 1")) > joined.index(sentences[i - 1])
    [row] = exchange_log.rows()
    assert row["delivered"] == 1 and row["reply"] == joined


# --- commands and other messages ----------------------------------------------------------------

async def test_commands_and_non_text_messages(service, exchange_log):
    async with polling(service) as fake:
        fake.push("/start")
        fake.push("/help")
        fake.push("/nguon")
        fake.push("/abc")
        for event in ("message.image.received", "message.sticker.received", "message.unsupported.received"):
            fake.push(event=event)
        start, help_, sources, unknown, *non_text = await fake.wait_texts(7)
    assert start.startswith(GREETING) and "Tôi có được ra ngoài không?" in start
    assert "/nguon" in help_ and "👍" not in help_  # no feedback buttons on Zalo
    assert unknown.startswith("Mình không có lệnh này.") and "/nguon" in unknown
    for s in service.engine.sources:
        assert f"{vn_date(s.date)}: {s.title}" in sources
    assert non_text == [NON_TEXT_MESSAGE] * 3
    assert exchange_log.rows() == []  # only questions are exchanges


async def test_in_a_group_the_bot_answers_only_when_addressed(service, exchange_log):
    group = dict(chat_id="g1", chat_type="GROUP", user_id="u7")
    async with polling(service) as fake:
        fake.push(OUT, **group)
        fake.push(event="message.sticker.received", **group)
        fake.push(f"@{BOT_NAME} {OUT}", **group)
        fake.push("/nguon", **group)
        answer, sources = await fake.wait_texts(2, "g1")
        await asyncio.sleep(0.3)
        assert len(fake.texts("g1")) == 2
    assert main_quote(answer)[0]
    assert "Các văn bản" in sources
    assert questions(exchange_log) == [OUT]


# --- limits and failures ------------------------------------------------------------------------

async def test_flood_limit_and_engine_failure(engine, exchange_log):
    service = Service(Scripted(engine, {"hỏng": RuntimeError("boom")}), exchange_log, FloodLimiter(limit=2))
    async with polling(service) as fake:
        fake.push("hỏng")
        fake.push(OFF_TOPIC)
        fake.push(OFF_TOPIC)
        fake.push(OFF_TOPIC)
        replies = await fake.wait_texts(3)
        await asyncio.sleep(0.3)
        assert len(fake.texts()) == 3  # one flood notice per window, not one per message
    assert replies[0] == ERROR_MESSAGE
    assert "chưa tìm thấy" in replies[1]
    assert replies[2] == FLOOD_MESSAGE
    errors = sorted(r["error"] or "" for r in exchange_log.rows())
    assert errors == ["", "engine-error", "flood-limited", "flood-limited"]


async def test_polling_survives_faults_and_never_answers_twice(service, exchange_log, caplog):
    caplog.set_level(logging.DEBUG)
    second = "Người về từ vùng dịch có phải xét nghiệm không?"
    async with polling(service) as fake:
        caplog.set_level(logging.DEBUG, logger="httpx")  # even if someone turns httpx up, no token
        fake.fault("408", "500", "malformed", "pass", "duplicate", "slow", "garbage", "pass", "duplicate")
        fake.send_failures.append(503)  # the first reply is refused once, then retried
        fake.push(OUT, chat_id="f1", message_id="dup-1")
        fake.push(second, chat_id="f1", message_id="dup-2")
        await fake.wait_texts(2, "f1")
        while fake.faults:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert len(fake.texts("f1")) == 2
        assert fake.calls.count("sendMessage") == 3
    assert questions(exchange_log) == sorted([OUT, second])
    assert all(r["delivered"] == 1 for r in exchange_log.rows())
    assert "polling failed" in caplog.text  # the faults were seen, and survived
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


# --- webhook -------------------------------------------------------------------------------------

async def test_webhook_enforces_the_secret(service, exchange_log):
    fake = FakeZalo(TOKEN)
    await fake.start()
    api = zalo.Api(TOKEN, fake.base_url)
    bot = zalo.ZaloBot(api, service, **FAST)
    try:
        await bot.setup()
        port = await bot.start_webhook(SECRET, "/zalo-hook", "127.0.0.1", 0)
        await bot.register_webhook(f"http://127.0.0.1:{port}/zalo-hook", SECRET)
        with pytest.raises(zalo.ZaloError):  # the platform: no polling while a webhook is set
            await api.call("getUpdates", {"timeout": "1"})

        update = fake.update(OUT, chat_id="w1")
        assert await fake.deliver(update, secret=None) == 403
        assert await fake.deliver(update, secret="not-the-secret") == 403
        await asyncio.sleep(0.2)
        assert fake.texts("w1") == [] and exchange_log.rows() == []

        assert await fake.deliver(update) == 200
        [reply] = await fake.wait_texts(1, "w1")
        assert await fake.deliver(update) == 200  # Zalo delivering again is not a new question
        await asyncio.sleep(0.3)
        assert fake.texts("w1") == [reply]
        assert any(main_quote(reply)[0] in t for t in SOURCES)
        assert questions(exchange_log) == [OUT]
    finally:
        await bot.close()
        await api.aclose()
        await fake.stop()


# --- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, says", [
    ({}, "ZALO_BOT_TOKEN is not set"),
    ({"ZALO_BOT_TOKEN": "not a token"}, "does not look like a Zalo bot token"),
    ({"ZALO_BOT_TOKEN": TOKEN, "ZALO_API_BASE_URL": "bot-api"}, "not an http(s) URL"),
])
def test_bad_settings_give_a_plain_message(monkeypatch, capsys, env, says):
    for name in ("ZALO_BOT_TOKEN", "ZALO_API_BASE_URL", "ZALO_WEBHOOK_URL", "ZALO_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["zalo"]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and TOKEN not in err


def test_webhook_needs_https_url_and_a_proper_secret(monkeypatch):
    monkeypatch.setenv("ZALO_BOT_TOKEN", TOKEN)
    args = argparse.Namespace(webhook=True, webhook_url="http://example.org/hook")
    with pytest.raises(cli.UserError, match="https://"):
        zalo.settings(args, {"ZALO_BOT_TOKEN": TOKEN, "ZALO_WEBHOOK_SECRET": SECRET})
    args.webhook_url = "https://example.org/hook"
    with pytest.raises(cli.UserError, match="ZALO_WEBHOOK_SECRET"):
        zalo.settings(args, {"ZALO_BOT_TOKEN": TOKEN, "ZALO_WEBHOOK_SECRET": "short"})
    cfg = zalo.settings(args, {"ZALO_BOT_TOKEN": f" {TOKEN}\n", "ZALO_WEBHOOK_SECRET": SECRET})
    assert (cfg.token, cfg.base_url, cfg.webhook_secret) == (TOKEN, zalo.DEFAULT_BASE_URL, SECRET)


async def test_rejected_or_unreachable_api_gives_a_plain_message(service):
    fake = FakeZalo(TOKEN)
    await fake.start()
    args = argparse.Namespace(listen="127.0.0.1", port=0)
    try:
        wrong = zalo.Settings("1234567890:wrong-token", fake.base_url)
        with pytest.raises(cli.UserError, match="did not accept ZALO_BOT_TOKEN") as e:
            await zalo._serve(wrong, lambda: service, args)
        assert "wrong-token" not in str(e.value)
    finally:
        await fake.stop()
    gone = zalo.Settings(TOKEN, fake.base_url)  # nothing listens there any more
    with pytest.raises(cli.UserError, match="Cannot reach the Zalo Bot API") as e:
        await zalo._serve(gone, lambda: service, args)
    assert TOKEN not in str(e.value)
