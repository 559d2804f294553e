"""A bot in a process of its own, with the FakeEngine: for the tests that signal or kill a bot.

    python botproc.py cli telegram|zalo    `rulebot <channel>` exactly as an operator runs it (.env,
                                           RULEBOT_LOG_LEVEL, RULEBOT_LOG, signals), the model aside
    python botproc.py soak telegram|zalo   serve.run with the soak's timings and its SoakEngine
    python botproc.py spare telegram|zalo  the same, but only once a line arrives on stdin: a bot
                                           started ahead, its imports done, to restart at once

Settings come from the environment as usual; the fake server runs in the test's process.
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import FakeEngine, canned  # noqa: E402

from bot.exchange_log import ExchangeLog  # noqa: E402
from bot.service import Service, log_path  # noqa: E402


class SoakEngine(FakeEngine):
    """Answers "… #n" with a clause located at "mục n", so every reply names its question; one
    question in four takes a while (and shows "typing…"), so answers are still in preparation
    when the bot is killed."""

    def answer(self, question: str, as_of=None):
        n = int(re.search(r"#(\d+)$", question).group(1))
        time.sleep(0.3 if n % 4 == 0 else 0.01)
        a = canned(question)
        return dataclasses.replace(a, main=dataclasses.replace(a.main, location=f"mục {n}"))


def cli(channel: str) -> int:
    from bot import cli as rulebot
    from bot.cli import channels

    channels.make_service = lambda args: Service(FakeEngine(), ExchangeLog(log_path(args.log)))
    return rulebot.main([channel])


def soak(channel: str, spare: bool = False) -> int:
    from bot.channels import serve
    from bot.channels.core import DeliveryPolicy
    from bot.channels.settings import ChannelSettings, setup_logging

    if channel == "telegram":
        from bot.channels.telegram import PLATFORM, TelegramAdapter

        def adapter(s):
            return TelegramAdapter(s, poll_timeout=2, connect_timeout=2.0, read_timeout=READ_TIMEOUT)
    else:
        from bot.channels.zalo import PLATFORM, ZaloAdapter

        def adapter(s):
            return ZaloAdapter(s, poll_timeout=2, grace=1.0, read_timeout=READ_TIMEOUT)

    if spare and not sys.stdin.readline():  # the test ended without needing this bot
        return 0
    settings = ChannelSettings.from_env(PLATFORM)
    setup_logging((settings.token,), level=os.environ.get("RULEBOT_LOG_LEVEL", "WARNING"))

    def started(core, server):
        core.typing_every, core.policy = 1.0, DeliveryPolicy(backoff=0.05, max_wait=5.0)
        print("started", flush=True)

    service = Service(SoakEngine(), ExchangeLog(log_path()))
    asyncio.run(serve.run(adapter(settings), lambda: service, False, started=started, retry_wait=START_RETRY))
    return 0


READ_TIMEOUT = 1.5  # the soak's "slow-after" faults answer after 2.5 s
START_RETRY = 0.02  # the restarted bot's getMe and deleteWebhook fail once each: retried at once

if __name__ == "__main__":
    mode, channel = sys.argv[1:3]
    sys.exit(cli(channel) if mode == "cli" else soak(channel, spare=mode == "spare"))
