"""What only Zalo has: plain text of at most 2,000 characters, groups where the bot is called by
its name, one update per poll with no way to confirm it, a 408 for "nothing new", and webhook
bodies in two shapes."""
from __future__ import annotations

import re
import time

from bot import messages as msg
from bot.render import source_line
from conftest import OFF_TOPIC, SOURCE_TEXTS, complete, new_service, rows, running
from fake_zalo import BOT_NAME, MAX_TEXT
from retrieval.types import Answer, Citation

OUT = "Tôi có được ra ngoài không?"


async def test_a_long_answer_is_split_under_2000_characters_between_sentences(zl, engine, log_path):
    src = engine.sources[0]
    sentences = [s for s in re.split(r"(?<=[.;])\s+", " ".join(SOURCE_TEXTS)) if 20 < len(s) < 400 and "\n" not in s]
    long_quote, i = "", 0
    while len(long_quote) < 4500:
        long_quote += (" " if long_quote else "") + sentences[i]
        i += 1

    def cite(q, n):
        return Citation(q, src, f"đoạn {n}", f"c{n}", 0, len(q), 0.9)

    answer = Answer("câu hỏi dài", "answered", main=cite(long_quote, 1),
                    more=(cite(sentences[i] * 3, 2), cite(sentences[i + 1] * 3, 3)))
    engine.answers("câu hỏi dài", answer)
    async with running(zl, new_service(engine, log_path)):
        zl.ask(1, "câu hỏi dài")
        [row] = await zl.fake.wait_for(complete(log_path, 1))
    parts = zl.texts(1)
    assert not zl.fake.rejected and len(parts) >= 3 and all(len(p) <= MAX_TEXT for p in parts)
    joined = "\n".join(parts)
    pieces = re.split(r"(?<=[.;…!?])\s+", long_quote)
    for sentence in pieces:
        assert sentence in joined  # cut between sentences, never inside one
    for p in parts:  # every part reads on its own: each quote line is opened and closed
        for line in p.splitlines():
            assert line.startswith("“") == line.endswith("”")
    assert joined.index(source_line(src, "đoạn 1")) > joined.index(pieces[-1])  # the source after its quote
    assert "<" not in joined and "**" not in joined  # Zalo would show markup literally
    assert row["delivered"] == 1 and row["reply"] == joined and row["attempts"] == len(parts)


async def test_in_a_group_the_bot_answers_only_when_called_by_name(zl, engine, log_path):
    group = {"chat_id": "g1", "chat_type": "GROUP", "user_id": "u7"}
    async with running(zl, new_service(engine, log_path)):
        zl.fake.push(OUT, **group)  # chatter: not for the bot
        zl.fake.push(event="message.sticker.received", **group)
        zl.fake.push("/abc", **group)  # unknown here: maybe another bot's
        zl.fake.push(f"@{BOT_NAME} {OUT}", **group)
        zl.fake.push("/nguon", **group)
        zl.fake.push(f"@{BOT_NAME}", **group)  # a bare mention: the help
        answer, sources, help_ = await zl.fake.wait_for(lambda: len(zl.fake.texts("g1")) == 3 and zl.fake.texts("g1"))
        await zl.fake.wait_for(complete(log_path, 1))
    assert "“" in answer and sources.startswith(msg.SOURCES_HEAD) and help_ == msg.help_text(False)
    assert [r["question"] for r in rows(log_path)] == [OUT]
    assert len(zl.fake.handed) == 6  # every message was read; only three were meant for the bot


async def test_images_stickers_and_unsupported_messages_get_the_request_to_type(zl, engine, log_path):
    async with running(zl, new_service(engine, log_path)):
        for event in ("message.image.received", "message.sticker.received", "message.unsupported.received"):
            zl.fake.push(event=event, chat_id="c1")
        zl.fake.push_update({"event_name": "message.text.received"})  # no message at all: ignored
        zl.ask(1, "/help")  # handled after all of the above
        replies = await zl.replies(1, 4)
    assert replies == [msg.NON_TEXT] * 3 + [msg.help_text(False)]
    assert rows(log_path) == []


async def test_text_that_is_not_a_string_is_read_as_text(zl, engine, log_path):
    """Issue 14.7: a number where Zalo puts text raised AttributeError and got the error reply."""
    async with running(zl, new_service(engine, log_path)):
        zl.fake.push(19009095, chat_id="c1")
        [reply] = await zl.replies(1, 1)
        [row] = await zl.fake.wait_for(complete(log_path, 1))
    assert reply != msg.ERROR and row["question"] == "19009095" and row["status"] != "error"
    assert engine.asked == ["19009095"]


async def test_webhook_bodies_are_accepted_in_both_shapes(zl, engine, log_path):
    """The documentation shows {"ok": true, "result": {…}}; deployed bots report the update flat."""
    async with running(zl, new_service(engine, log_path), webhook=True) as bot:
        secret = zl.fake.webhook["secret_token"]
        assert zl.fake.webhook["url"] == "https://bot.example.test/zalo/hook"
        flat = zl.fake.update(OUT, chat_id="c1")
        wrapped = zl.fake.update(OFF_TOPIC, chat_id="c2")
        assert await zl.fake.deliver(bot.webhook_url, flat, secret) == 200
        assert await zl.fake.deliver(bot.webhook_url, wrapped, secret, envelope=True) == 200
        await zl.fake.wait_for(complete(log_path, 2))
        await zl.replies(1, 1)
        await zl.replies(2, 1)
    assert sorted(r["question"] for r in rows(log_path)) == sorted([OUT, OFF_TOPIC])


async def test_duplicate_garbled_and_malformed_polls_neither_lose_nor_repeat_an_answer(zl, engine, log_path):
    second = "Người về từ vùng dịch có phải xét nghiệm không?"
    for kind in ("500", "408", "badjson", "408", "garbage", "408", "reset"):  # a 408 is a good poll
        zl.fake.fault("getUpdates", kind)
    async with running(zl, new_service(engine, log_path)):
        zl.ask(1, OUT)
        await zl.fake.wait_for(lambda: zl.fake.faults_left() == 0 and zl.fake.handed)
        zl.fake.fault("getUpdates", "duplicate", times=2)  # the next update is handed out twice more
        zl.ask(1, second)
        await zl.fake.wait_for(lambda: zl.fake.faults_left() == 0)
        await zl.fake.wait_for(complete(log_path, 2))
        replies = await zl.replies(1, 2)
    assert len(replies) == 2 and len(zl.fake.called("sendMessage")) == 2
    assert [r["question"] for r in rows(log_path)] == [OUT, second]
    assert zl.fake.faults_done[("getUpdates", "duplicate")] == 2


async def test_polling_keeps_up_through_failures_and_timeouts(zl, engine, log_path):
    """Issue 14.4: at 10% faults the median reply went from 0.12 s to 71.5 s, each failed poll
    costing at least a second of back-off. Now a 408 costs nothing, a failure 0.1 s, and the
    back-off starts again from 0.1 s after every good poll: twelve questions, each behind a failed
    poll and a run of 408s, are all answered in a couple of seconds (the old bot needed 12 s)."""
    async with running(zl, new_service(engine, log_path)):
        await zl.fake.wait_for(lambda: zl.fake.called("getUpdates"))
        t0 = time.monotonic()
        for i in range(12):
            zl.fake.fault("getUpdates", ("500", "502", "reset", "badjson")[i % 4])
            zl.fake.fault("getUpdates", "408", times=5)
            zl.ask(i, f"{OUT} ({i})")
            await zl.fake.wait_for(lambda: zl.fake.faults_left() == 0, 5, "the poller to get past the faults")
        await zl.fake.wait_for(complete(log_path, 12), 10)
        elapsed = time.monotonic() - t0
    assert all(len(zl.texts(i)) == 1 for i in range(12))
    assert elapsed < 4, f"12 questions behind failed polls took {elapsed:.1f} s"


async def test_a_slow_poll_does_not_hold_up_an_answer_already_received(zl, engine, log_path):
    gate = engine.hold(OUT)
    async with running(zl, new_service(engine, log_path)):
        zl.ask(1, OUT)
        await zl.fake.wait_for(lambda: engine.asked)  # received; the answer is being prepared
        zl.fake.fault("getUpdates", "hang", delay=4.0)  # the next poll hangs past the client's patience
        zl.ask(2, OFF_TOPIC)  # ends a poll under way, if any, so a next one takes the fault
        await zl.fake.wait_for(lambda: any(c.fault == "hang" for c in zl.fake.called("getUpdates")))
        gate.set()
        [reply] = await zl.replies(1, 1, timeout=3)  # well before the hung poll gives up
        hung = next(c for c in zl.fake.called("getUpdates") if c.fault == "hang")
        assert zl.fake.to("c1")[0].at - hung.at < 3.0
    assert "“" in reply
