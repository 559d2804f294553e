"""The delivery policy (issue 14.2 and 14.5), against faults a real Bot API produces.

A send that may have reached the resident is not repeated, except once after a read timeout or
a dropped connection; one that certainly did not (429, connection refused) is retried; an error
message never follows an answer that may have gone out; when nothing went out after three tries
the resident gets one short apology; and the log records every outcome."""
from __future__ import annotations

import pytest

from bot import messages as msg
from conftest import canned, complete, new_service, running

Q = "Tôi có được ra ngoài không?"


@pytest.mark.parametrize("fault", ["500-after", "502-after", "badjson-after"])
async def test_a_send_that_failed_after_the_message_went_out_is_not_repeated(side, engine, log_path, fault):
    """Old bots sent such a message again, up to four times, followed by as many error messages,
    while the log said delivered=0."""
    side.fake.fault("sendMessage", fault)
    async with running(side, new_service(engine, log_path)):
        side.ask(1, Q)
        [row] = await side.fake.wait_for(complete(log_path, 1))
        side.ask(1, "Người về từ vùng dịch có phải xét nghiệm không?")  # the chat goes on normally
        await side.fake.wait_for(complete(log_path, 2))
        first, second = await side.replies(1, 2)
    assert canned(Q).main.quote in first and msg.ERROR not in (first, second)  # once, and no error after it
    assert len(side.fake.called("sendMessage")) == 2
    assert (row["delivered"], row["delivery"], row["attempts"]) == (0, "unknown", 1) and "maybe sent" in row["error"]


@pytest.mark.parametrize("fault, times, copies, outcome", [
    ("slow-after", 1, 2, "delivered"),  # out, but the reply came too late: sent once more, one duplicate
    ("slow-after", 2, 2, "unknown"),  # and again: no third copy
    ("hang", 1, 1, "delivered"),  # not out, the reply too late: the resend is the only copy
    ("reset", 1, 1, "delivered"),  # the connection dropped without an answer
    ("reset", 2, 0, "unknown"),  # twice: the policy cannot know; the log says so
])
async def test_after_a_read_timeout_the_message_is_sent_at_most_once_more(side, engine, log_path, fault,
                                                                          times, copies, outcome):
    side.fake.fault("sendMessage", fault, times=times, delay=1.5)
    async with running(side, new_service(engine, log_path), adapter=side.adapter(read_timeout=0.5)):
        side.ask(1, Q)
        [row] = await side.fake.wait_for(complete(log_path, 1))
    assert len(side.fake.called("sendMessage")) == 2
    texts = side.texts(1)
    assert len(texts) == copies and len(set(texts)) <= 1 and msg.ERROR not in texts
    assert (row["delivery"], row["attempts"]) == (outcome, 2)


async def test_three_sends_that_certainly_failed_end_in_one_apology(side, engine, log_path):
    """Zalo dropped the reply silently after three failed sends: no answer, no error message."""
    side.fake.fault("sendMessage", "429", times=3, retry_after=1)
    async with running(side, new_service(engine, log_path)):
        side.ask(1, Q)
        [row] = await side.fake.wait_for(complete(log_path, 1))
        assert await side.replies(1, 1) == [msg.ERROR]
    assert (row["delivered"], row["delivery"], row["attempts"]) == (0, "failed", 3)
    assert len(side.fake.called("sendMessage")) == 4  # three tries of the answer, one apology


async def test_a_429_is_waited_out_and_the_answer_sent_once(side, engine, log_path):
    side.fake.fault("sendMessage", "429", retry_after=1)
    async with running(side, new_service(engine, log_path)):
        side.ask(1, Q)
        [row] = await side.fake.wait_for(complete(log_path, 1))
    calls = side.fake.called("sendMessage")
    assert len(side.texts(1)) == 1 and (row["delivery"], row["attempts"]) == ("delivered", 2)
    if side.name == "telegram":  # Telegram says how long to wait, and is obeyed
        assert calls[1].at - calls[0].at >= 1.0


async def test_typing_failures_never_hold_up_or_spoil_the_answer(side, engine, log_path):
    for kind in ("500", "reset", "429", "hang"):
        side.fake.fault("sendChatAction", kind, delay=3.0)
    gate = engine.hold(Q)
    async with running(side, new_service(engine, log_path), typing_every=0.02):
        side.ask(1, Q)
        await side.fake.wait_for(lambda: side.fake.faults_left() == 0)
        gate.set()
        [row] = await side.fake.wait_for(complete(log_path, 1), 2.5)  # not after the hung typing call
    assert row["delivered"] == 1 and len(side.texts(1)) == 1
