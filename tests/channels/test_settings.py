"""Settings are read once, the same way for both channels, and a bad one is a plain message that
says what to fix, before anything heavy is loaded; tokens and secrets never reach a log line."""
from __future__ import annotations

import io
import logging

import pytest

from bot import cli
from bot.channels.settings import ChannelSettings, Redact, SettingsError, setup_logging

TG_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def bad_settings(p: str, token: str) -> list[tuple[dict, str]]:
    hook = {f"{p}_BOT_TOKEN": token, f"{p}_WEBHOOK_URL": "https://bot.example.org/hook"}
    return [
        ({}, f"{p}_BOT_TOKEN is not set"),
        ({f"{p}_BOT_TOKEN": "abc"}, "does not look like"),
        ({f"{p}_BOT_TOKEN": f'"{token}"'}, "does not look like"),  # quotes copied along
        ({f"{p}_BOT_TOKEN": token, f"{p}_API_BASE_URL": "api.example.org"}, f"{p}_API_BASE_URL is not an http"),
        ({**hook, f"{p}_WEBHOOK_URL": ""}, f"--webhook needs {p}_WEBHOOK_URL"),
        ({**hook, f"{p}_WEBHOOK_URL": "bot.example.org/hook"}, f"{p}_WEBHOOK_URL is not an http"),
        ({**hook, f"{p}_WEBHOOK_LISTEN": "8443"}, "must be host:port"),
        ({**hook, f"{p}_WEBHOOK_LISTEN": "0.0.0.0:99999"}, "must be host:port"),
        ({**hook, f"{p}_WEBHOOK_SECRET": "a b"}, f"{p}_WEBHOOK_SECRET"),
        ({f"{p}_BOT_TOKEN": token, "RULEBOT_LOG_LEVEL": "LOUD"}, "RULEBOT_LOG_LEVEL must be"),
    ]


def test_bad_settings_are_plain_messages_before_anything_is_loaded(side, tmp_path, monkeypatch, capsys,
                                                                   root_logging):
    p, token = side.platform.prefix, side.fake.token
    monkeypatch.chdir(tmp_path)  # no stray .env
    for env, says in bad_settings(p, token):
        for k in (f"{p}_BOT_TOKEN", f"{p}_API_BASE_URL", f"{p}_WEBHOOK_URL", f"{p}_WEBHOOK_LISTEN",
                  f"{p}_WEBHOOK_SECRET", "RULEBOT_LOG_LEVEL"):
            monkeypatch.delenv(k, raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        webhook = ["--webhook"] if f"{p}_WEBHOOK_URL" in env else []
        assert cli.main([side.name, *webhook]) == 2, says
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, (says, err)
        assert token.split(":")[1] not in err
    assert side.fake.calls == []  # refused before the platform was even asked


def test_settings_are_read_from_the_environment_and_keep_secrets_out_of_repr(side):
    p, env = side.platform.prefix, side.env(webhook=True)
    s = ChannelSettings.from_env(side.platform, {**env, f"{p}_WEBHOOK_SECRET": "abc_DEF-1234"}, webhook=True)
    assert (s.api_url, s.webhook_path, s.secret) == (side.fake.api_url, f"/{side.name}/hook", "abc_DEF-1234")
    assert side.fake.token not in repr(s) and "abc_DEF-1234" not in repr(s)
    generated = ChannelSettings.from_env(side.platform, env, webhook=True).secret
    assert len(generated) >= 32 and generated != ChannelSettings.from_env(side.platform, env, webhook=True).secret
    default = ChannelSettings.from_env(side.platform, {f"{p}_BOT_TOKEN": side.fake.token})
    assert default.api_url == side.platform.official_api and default.webhook_url is None
    padded = {f"{p}_BOT_TOKEN": f"  {side.fake.token}\n"}  # pasted with spaces and a newline
    assert ChannelSettings.from_env(side.platform, padded).token == side.fake.token


def test_a_telegram_base_url_in_the_library_style_is_accepted():
    from bot.channels.telegram import PLATFORM

    for given in ("http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"):
        s = ChannelSettings.from_env(PLATFORM, {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": given})
        assert s.api_url == "http://127.0.0.1:8081"


def test_tokens_and_secrets_are_redacted_from_every_log_line(root_logging):
    stream = io.StringIO()
    setup_logging((TG_TOKEN, "webhook-secret-value"), level="DEBUG", stream=stream)
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "POST",
                                    f"https://api.telegram.org/bot{TG_TOKEN}/getUpdates", "HTTP/1.1 200 OK")
    try:
        raise RuntimeError(f"failed calling https://api.telegram.org/bot{TG_TOKEN}/sendMessage")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("boom")
    logging.getLogger("other").warning("a token we were never told about: 555666:%s", "x" * 35)
    logging.getLogger("other").warning("the secret header was %s", "webhook-secret-value")
    out = stream.getvalue()
    assert TG_TOKEN.split(":")[1] not in out and "x" * 35 not in out and "webhook-secret-value" not in out
    assert out.count("<secret>") == 3 and out.count("<token>") == 1


def test_redaction_is_a_filter_any_handler_can_use():
    r = Redact(("s3cr3t-value",))
    assert r.clean("bot123456:ABCDEFGHIJKLMNOPQRSTUV and s3cr3t-value") == "bot<token> and <secret>"


def test_an_unknown_log_level_is_refused():
    with pytest.raises(SettingsError, match="DEBUG, INFO, WARNING, ERROR or CRITICAL"):
        setup_logging(level="chatty")
