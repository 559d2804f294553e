"""Issue 13: the copies had drifted. Only Telegram read `.env`, only Telegram honoured
RULEBOT_LOG_LEVEL, only Zalo kept one chat's replies in order, only Telegram renewed "typing…",
and the webhook listen defaults differed (127.0.0.1:8443 and 0.0.0.0:8080). Each property is one
test, run against both fake servers."""
from __future__ import annotations

import asyncio

from bot.channels.settings import DEFAULT_LISTEN, ChannelSettings
from conftest import BotProcess, canned, complete, new_service, rows, running

Q = "Tôi có được ra ngoài không?"


async def _ask_and_stop(side, bot: BotProcess, log_path) -> int:
    """Wait until the bot polls, ask one question, wait for the reply, stop it as systemd would."""
    try:
        await side.fake.wait_for(lambda: not bot.alive() or side.fake.called("getUpdates"), 30, "polling")
        assert bot.alive(), bot.stderr
        side.ask(1, Q)
        await side.replies(1, 1)
        await side.fake.wait_for(complete(log_path, 1))
    finally:
        code = bot.stop()
    return code


async def test_dotenv_is_read_and_the_real_environment_wins(side, tmp_path):
    p, log_path = side.platform.prefix, tmp_path / "log.db"
    (tmp_path / ".env").write_text(f'# rulebot\nexport {p}_BOT_TOKEN="{side.fake.token}"\n'
                                   f"{p}_API_BASE_URL=http://127.0.0.1:9\n", encoding="utf-8")
    env = {f"{p}_API_BASE_URL": side.fake.api_url, "RULEBOT_LOG": str(log_path)}  # the token: only in .env
    bot = BotProcess("cli", side, tmp_path, env)
    assert await _ask_and_stop(side, bot, log_path) == 0, bot.stderr
    assert side.fake.called("getMe") and rows(log_path)[0]["delivered"] == 1


async def test_the_log_level_is_honoured_and_tokens_never_reach_the_log(side, tmp_path):
    """At DEBUG the libraries log every request URL, token included: it must come out redacted.
    (Zalo's command ignored RULEBOT_LOG_LEVEL: INFO, and never a DEBUG line.)"""
    log_path = tmp_path / "log.db"
    bot = BotProcess("cli", side, tmp_path, {**side.env(), "RULEBOT_LOG": str(log_path), "RULEBOT_LOG_LEVEL": "debug"})
    assert await _ask_and_stop(side, bot, log_path) == 0, bot.stderr
    err = bot.stderr
    assert " DEBUG bot.channels" in err or " DEBUG httpcore" in err
    assert " INFO bot.channels.serve: " in err  # INFO shows at DEBUG too
    assert side.fake.token not in err and side.fake.token.split(":")[1] not in err
    assert "/bot<secret>/" in err or "/bot<token>/" in err  # request URLs were logged, redacted


async def test_one_chats_replies_keep_the_order_of_its_questions(side, engine, log_path):
    first, second = "Câu thứ nhất: tôi có được ra ngoài không?", "Câu thứ hai: có phải xét nghiệm không?"
    gate = engine.hold(first)
    async with running(side, new_service(engine, log_path)):
        side.ask(1, first)
        side.ask(1, second)
        side.ask(2, Q)
        await side.replies(2, 1)  # another chat is not held up by the slow answer
        await side.fake.wait_for(lambda: len(rows(log_path)) == 3)
        assert side.texts(1) == []  # the second question waits for the first
        gate.set()
        a, b = await side.replies(1, 2)
    assert canned(first).main.quote in a and canned(second).main.quote in b


async def test_typing_is_renewed_while_a_slow_answer_is_prepared(side, engine, log_path):
    gate = engine.hold(Q)
    async with running(side, new_service(engine, log_path), typing_every=0.05):
        side.ask(1, Q)
        # the answer takes at least three typing periods: it is released only once they were shown
        await side.fake.wait_for(lambda: side.typing(1) >= 3, 10, "typing… renewed")
        gate.set()
        await side.replies(1, 1)


async def test_a_quick_answer_shows_no_typing_a_slow_one_does_after_the_delay(side, engine, log_path):
    gate = engine.hold(Q)
    async with running(side, new_service(engine, log_path), typing_every=0.05, typing_after=0.3):
        side.ask(2, "5K là gì?")  # answered at once by the fake engine
        await side.replies(2, 1)
        side.ask(1, Q)
        await asyncio.sleep(0.15)
        assert side.typing(1) == 0 and side.typing(2) == 0  # within the delay: nothing shown yet
        await side.fake.wait_for(lambda: side.typing(1) >= 1, 10, "typing… once the answer is slow")
        gate.set()
        await side.replies(1, 1)
        assert side.typing(2) == 0


def test_the_webhook_listens_on_the_same_default_address(side):
    env = side.env(webhook=True)
    s = ChannelSettings.from_env(side.platform, env, webhook=True)
    assert (s.listen_host, s.listen_port) == ("127.0.0.1", 8080) and DEFAULT_LISTEN == "127.0.0.1:8080"
    p = side.platform.prefix
    for given, expected in (("0.0.0.0:8443", ("0.0.0.0", 8443)), ("[::1]:9000", ("::1", 9000))):
        s = ChannelSettings.from_env(side.platform, {**env, f"{p}_WEBHOOK_LISTEN": given}, webhook=True)
        assert (s.listen_host, s.listen_port) == expected
