"""Webhook mode, the same on both channels: the platform is told where to post and with which
secret; only posts with that secret are read; an update posted twice is answered once, even by
a bot restarted in between; a body that is not an update is refused without harm."""
from __future__ import annotations

from conftest import complete, new_service, rows, running

Q = "Tôi có được ra ngoài không?"


async def test_the_webhook_is_registered_and_needs_its_secret(side, engine, log_path):
    async with running(side, new_service(engine, log_path), webhook=True) as bot:
        registered = side.fake.webhook
        assert registered["url"] == f"https://bot.example.test/{side.name}/hook"
        assert registered["secret_token"] == bot.adapter.settings.secret and len(registered["secret_token"]) >= 32
        assert bot.webhook_url.endswith(f"/{side.name}/hook")  # the public URL's path, served locally
        assert await side.post(bot, side.webhook_update(1, Q), secret=None) == 403
        assert await side.post(bot, side.webhook_update(2, Q), secret="guess-the-secret") == 403
        assert await side.post(bot, side.webhook_update(3, Q)) == 200
        await side.replies(3, 1)
        await side.fake.wait_for(complete(log_path, 1))
    assert len(rows(log_path)) == 1 and side.texts(1) == side.texts(2) == []


async def test_an_update_posted_twice_is_answered_once_even_across_a_restart(side, engine, log_path):
    """Issue 14.6: Telegram re-posts an update when its POST times out; the Telegram bot in webhook
    mode answered it twice and logged it twice (Zalo deduplicated in memory, so not across restarts)."""
    update = side.webhook_update(1, Q)
    async with running(side, new_service(engine, log_path), webhook=True) as bot:
        assert await side.post(bot, update) == 200
        assert await side.post(bot, update) == 200  # the platform did not see the first 200 in time
        await side.fake.wait_for(complete(log_path, 1))
        other = side.webhook_update(2, "Người về từ vùng dịch có phải xét nghiệm không?")
        assert await side.post(bot, other) == 200  # a later update: whatever was running is done
        await side.fake.wait_for(complete(log_path, 2))
    async with running(side, new_service(engine, log_path), webhook=True) as bot:  # the same log file
        assert await side.post(bot, update) == 200
        third = side.webhook_update(3, Q)
        assert await side.post(bot, third) == 200
        await side.fake.wait_for(complete(log_path, 3))
        await side.replies(3, 1)
    assert len(side.texts(1)) == 1 and len(side.texts(2)) == 1
    assert [r["question"] for r in rows(log_path)].count(Q) == 2  # users 1 and 3, once each


async def test_a_body_that_is_not_an_update_is_refused_and_the_bot_carries_on(side, engine, log_path):
    async with running(side, new_service(engine, log_path), webhook=True) as bot:
        for body in ([1, 2, 3], "text", {"unexpected": True}, {"update_id": "x"}, None):
            assert await side.post(bot, body) == 400, body
        assert await side.post(bot, side.webhook_update(1, Q)) == 200
        await side.replies(1, 1)
        await side.fake.wait_for(complete(log_path, 1))
