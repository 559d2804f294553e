"""What a channel reads from the environment, once, the same way for every channel.

`ChannelSettings.from_env("TELEGRAM")` reads TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL,
TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_LISTEN and TELEGRAM_WEBHOOK_SECRET; "ZALO" the same
names with its prefix. Values in `.env` count unless the real environment sets them. Tokens and
secrets never appear in a repr or a log line (`Redact`).
"""
from __future__ import annotations

import logging
import os
import re
import secrets as secrets_
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_LISTEN = "127.0.0.1:8080"  # behind a reverse proxy that terminates HTTPS
# Each channel reads <PREFIX>_<name> for these (TELEGRAM_BOT_TOKEN, ZALO_WEBHOOK_URL, …).
VARIABLES = ("BOT_TOKEN", "API_BASE_URL", "WEBHOOK_URL", "WEBHOOK_LISTEN", "WEBHOOK_SECRET")


class SettingsError(Exception):
    """A setting is missing or malformed; shown to the operator without a traceback."""


@dataclass(frozen=True)
class Platform:
    """What differs between Bot APIs, as data: the channel code itself is shared."""

    name: str  # "telegram", "zalo": also the channel's name in the exchange log
    prefix: str  # of its environment variables
    official_api: str
    token_pattern: re.Pattern
    token_hint: str  # where the operator gets a token, in the error message
    secret_pattern: re.Pattern
    secret_rule: str
    secret_header: str


@dataclass(frozen=True)
class ChannelSettings:
    platform: Platform
    token: str = field(repr=False)
    api_url: str
    webhook_url: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    secret: str | None = field(default=None, repr=False)

    @property
    def webhook_path(self) -> str:
        """The local server listens on the same path as the public URL, so a proxy can pass it through."""
        return urlsplit(self.webhook_url or "").path or "/"

    @classmethod
    def from_env(cls, platform: Platform, env: Mapping[str, str] | None = None,
                 webhook: bool = False) -> "ChannelSettings":
        env = os.environ if env is None else env
        p = platform.prefix
        token = (env.get(f"{p}_BOT_TOKEN") or "").strip()
        if not token:
            raise SettingsError(f"{p}_BOT_TOKEN is not set. {platform.token_hint} and put its token in "
                                "the environment or in .env (see README).")
        if not platform.token_pattern.fullmatch(token):
            raise SettingsError(f"{p}_BOT_TOKEN does not look like a {platform.name} bot token. "
                                f"{platform.token_hint}; check for quotes, spaces or a missing part.")
        api = _url(env.get(f"{p}_API_BASE_URL") or platform.official_api, f"{p}_API_BASE_URL")
        if platform.name == "telegram" and api.endswith("/bot"):  # PTB-style base, accepted too
            api = api[: -len("/bot")]
        s = cls(platform, token, api)
        if not webhook:
            return s
        url = (env.get(f"{p}_WEBHOOK_URL") or "").strip()
        if not url:
            raise SettingsError(f"--webhook needs {p}_WEBHOOK_URL, the public HTTPS address {platform.name} "
                                f"posts updates to, e.g. https://bot.example.org/{platform.name}")
        url = _url(url, f"{p}_WEBHOOK_URL")
        host, port = listen_address(env.get(f"{p}_WEBHOOK_LISTEN") or DEFAULT_LISTEN, f"{p}_WEBHOOK_LISTEN")
        secret = (env.get(f"{p}_WEBHOOK_SECRET") or "").strip()
        if secret and not platform.secret_pattern.fullmatch(secret):
            raise SettingsError(f"{p}_WEBHOOK_SECRET: {platform.secret_rule}.")
        if not secret:  # set anew on every start; only the platform needs to know it
            secret = secrets_.token_urlsafe(32)
        return cls(platform, token, api, url, host, port, secret)


def _url(value: str, name: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} is not an http(s) URL: {value!r}")
    return url


def listen_address(value: str, name: str) -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not host or not 0 < number < 65536:
        raise SettingsError(f"{name} must be host:port, e.g. {DEFAULT_LISTEN} (got {value!r})")
    return host.strip("[]"), number


def load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from .env without overriding the real environment (no extra dependency)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        os.environ.setdefault(key, value)


# --- logging ----------------------------------------------------------------------------------

# Anything shaped like a Telegram or Zalo token ("<digits>:<key>"), wherever it turns up.
_TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{3,15}:[A-Za-z0-9_-]{16,}")  # also inside .../bot<token>/...


class Redact(logging.Filter):
    """httpx and PTB put request URLs, which embed the bot token, into log lines and tracebacks."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "<secret>")
        return _TOKEN_SHAPE.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.clean(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        return True


def setup_logging(secrets: tuple[str, ...] = (), level: str | None = None, stream=None) -> logging.Handler:
    """One handler on the root logger, redacting every record; RULEBOT_LOG_LEVEL sets the level."""
    name = (level or os.environ.get("RULEBOT_LOG_LEVEL") or "INFO").strip().upper()
    if name not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(f"RULEBOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {name!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(name)
    if root.level > logging.DEBUG:
        for noisy in ("httpx", "httpcore"):  # one line per request (and per long poll) is noise
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
