"""Issue 14.3: one transient error at start-up stopped the Zalo bot: a 502 on the first getMe
exited with code 2 blaming the token, a 500 or a reset on deleteWebhook crashed with a traceback,
a 502 on setWebhook exited. Now transient errors are retried with back-off on both channels, and
only a rejected token stops the bot, with a message saying so."""
from __future__ import annotations

import pytest

from bot import cli
from bot.channels import serve
from bot.channels.settings import SettingsError
from conftest import complete, new_service, running

Q = "Tôi có được ra ngoài không?"


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_transient_errors_at_start_up_are_retried_and_the_bot_runs(side, engine, log_path, webhook):
    side.fake.fault("getMe", "reset" if webhook else "502")
    side.fake.fault(*(("setWebhook", "502") if webhook else ("deleteWebhook", "500")))
    async with running(side, new_service(engine, log_path), webhook=webhook) as bot:
        if webhook:
            assert await side.post(bot, side.webhook_update(1, Q)) == 200
        else:
            side.ask(1, Q)
        await side.replies(1, 1)
        await side.fake.wait_for(complete(log_path, 1))
    assert side.fake.faults_left() == 0 and len(side.fake.called("getMe")) == 2


def test_a_rejected_token_stops_at_once_with_a_clear_message(side, tmp_path, monkeypatch, capsys, root_logging):
    p, wrong = side.platform.prefix, "7000001:AAH-well-formed-but-revoked-token-xyz"
    monkeypatch.chdir(tmp_path)  # no stray .env
    for k, v in {**side.env(), f"{p}_BOT_TOKEN": wrong, "RULEBOT_LOG": str(tmp_path / "log.db")}.items():
        monkeypatch.setenv(k, v)
    assert cli.main([side.name]) == 2
    err = capsys.readouterr().err
    assert f"{side.name} rejected {p}_BOT_TOKEN" in err and "revoked" in err
    assert "Traceback" not in err and wrong not in err and wrong.split(":")[1] not in err
    assert len(side.fake.called("getMe")) == 1  # not retried: waiting would not make it valid
    assert not (tmp_path / "log.db").exists()  # nothing was loaded before the token was known good


async def test_an_unreachable_api_gives_up_with_a_clear_message(side):
    settings = side.settings()
    side.fake.stop()  # nothing listens there any more
    adapter = side.adapter(settings)
    try:
        with pytest.raises(SettingsError, match=f"getMe failed .* Check the network or {side.platform.prefix}_API"):
            await serve.retrying(adapter.connect, adapter, "getMe", attempts=3, first_wait=0.01)
    finally:
        await adapter.close()
    side.fake.start()  # for the fixture's teardown
