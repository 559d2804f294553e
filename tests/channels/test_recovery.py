"""Issue 14.1: a crash lost the questions in flight. Telegram confirmed updates before answering
them, so after kill -9 their rows stayed `received` and nothing picked them up; Zalo logged a
question only after waiting for the chat's lock and the typing call, so some left no row at all.
Now the question is logged the moment it arrives, and the next run answers what is unfinished."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from bot.channels.core import ChannelCore, Incoming, TEXT
from bot.exchange_log import ExchangeLog
from bot.render import Plain, pack
from conftest import FAST, SALT, FakeEngine, canned, complete, new_service, rows, running

Q = "Tôi có được ra ngoài không?"


def left_by_a_crash(side, log_path, n: int, question: str, redeliver: bool) -> str:
    """What a bot killed while answering leaves: the question logged with where its reply goes,
    and no reply. On Telegram the update may also be still unconfirmed, so it comes again."""
    chat = side.chat(n)
    if side.name == "telegram":
        key = str(side.fake.push(side.fake.message(chat, question)) if redeliver else 900 + n)
        where = {"id": chat, "reply_to": None}
    else:
        key, where = f"{chat}:m-before-the-crash-{n}", {"id": chat}
    log = ExchangeLog(log_path, salt=SALT)
    xid = log.question(side.name, chat, question, key=key, chat=where)
    log.close()
    return xid


async def test_questions_a_crash_left_unanswered_are_answered_once_by_the_next_run(side, engine, log_path):
    recent = left_by_a_crash(side, log_path, 1, Q, redeliver=True)
    old = left_by_a_crash(side, log_path, 2, "Câu hỏi từ hôm qua", redeliver=False)
    two_hours_ago = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(timespec="milliseconds")
    with sqlite3.connect(log_path) as con:
        con.execute("update exchanges set at = ? where id = ?", [two_hours_ago, old])
    async with running(side, new_service(engine, log_path)):
        [reply] = await side.replies(1, 1)
        side.ask(3, "Người về từ vùng dịch có phải xét nghiệm không?")  # after anything handed out again
        await side.replies(3, 1)
        await side.fake.wait_for(lambda: all(r["delivery"] for r in rows(log_path) if r["id"] != old))
    by_id = {r["id"]: r for r in rows(log_path)}
    assert len(by_id) == 3  # the update handed out again was not logged again
    assert canned(Q).main.quote in reply and side.texts(1) == [reply]  # answered once
    assert by_id[recent]["delivered"] == 1 and by_id[recent]["chat_ref"] is None
    assert by_id[old]["status"] == "expired" and by_id[old]["chat_ref"] is None  # shown so to officials
    assert side.texts(2) == []  # an hour-old question is not answered out of the blue
    assert engine.asked.count(Q) == 1


async def test_a_question_is_logged_before_anything_that_can_wait(side, engine, log_path):
    """Even while its chat's lock is held by a slow answer, and before the typing call."""
    gate = engine.hold(Q)
    async with running(side, new_service(engine, log_path)):
        side.ask(1, Q)
        side.ask(1, "Còn xét nghiệm thì sao?")
        # the first question's answer runs in a worker thread, which may start late on a busy machine
        await side.fake.wait_for(lambda: engine.asked, what="the first question to reach the engine")
        queued = await side.fake.wait_for(lambda: len(rows(log_path)) == 2 and rows(log_path)[1])
        assert queued["question"] == "Còn xét nghiệm thì sao?" and queued["status"] == "received"
        assert queued["chat_ref"] and engine.asked == [Q]  # not asked yet: the first holds the chat
        gate.set()
        await side.fake.wait_for(complete(log_path, 2))


class _Broken:
    """A transport with a bug: the core must still record what happened, never lose it silently."""

    name, buttons = "zalo", False

    def __init__(self, pack_fails: bool = False):
        self.pack_fails = pack_fails

    def pack(self, items):
        if self.pack_fails:
            raise RuntimeError("renderer bug")
        return pack(items, Plain(), 2000)

    async def send(self, chat, text, **kw):
        raise RuntimeError("a library surprise")

    async def typing(self, chat):
        return None


async def test_an_unexpected_error_while_sending_is_recorded_as_an_unknown_delivery(log_path):
    core = ChannelCore(new_service(FakeEngine(), log_path), _Broken(), FAST)
    assert core.receive(Incoming("k1", {"id": "c1"}, "c1", TEXT, Q))
    await core.drain()
    [row] = rows(log_path)
    assert (row["delivery"], row["error"], row["chat_ref"]) == ("unknown", "unexpected: RuntimeError", None)


async def test_a_bug_before_sending_leaves_the_question_for_the_next_start(log_path):
    service = new_service(FakeEngine(), log_path)
    core = ChannelCore(service, _Broken(pack_fails=True), FAST)
    assert core.receive(Incoming("k1", {"id": "c1"}, "c1", TEXT, Q))
    await core.drain()
    [row] = rows(log_path)
    assert row["status"] == "answered" and row["delivery"] is None
    assert [r["question"] for r in service.unfinished("zalo", 3600)] == [Q]
