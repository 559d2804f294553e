"""Where the console keeps its files and how it serves; every value comes from the environment.

    RULEBOT_SERVE_LISTEN    host:port for `rulebot serve` (default 127.0.0.1:8080)
    RULEBOT_OFFICIALS       accounts, sessions and audit trail (default var/officials.db)
    RULEBOT_OFFICIALS_FAQ   officials' FAQ lines (default var/faq-officials.jsonl in the repository)
    RULEBOT_LOG             the exchange log the console reviews (default var/rulebot-log.db)
    RULEBOT_CONSOLE_SECRET  key that signs the session cookie (default: a random key kept beside
                            the accounts file, readable by its owner only)
    RULEBOT_CONSOLE_HTTPS   1 when the console is reached over HTTPS (a proxy in front):
                            the session cookie is then marked Secure
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from retrieval import settings as rsettings


class ConsoleSettingsError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class ConsoleSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    officials: Path = Path("var/officials.db")
    officials_faq: Path | None = None
    exchange_log: Path = Path("var/rulebot-log.db")
    index_dir: Path | None = None
    secret: str | None = None
    https: bool = False

    @classmethod
    def from_env(cls, env: dict | None = None) -> "ConsoleSettings":
        env = os.environ if env is None else env
        host, port = listen(env.get("RULEBOT_SERVE_LISTEN") or "127.0.0.1:8080")
        return cls(
            host=host, port=port,
            officials=Path(env.get("RULEBOT_OFFICIALS") or "var/officials.db"),
            officials_faq=rsettings.officials_faq_path(),  # the one the index build reads
            exchange_log=Path(env.get("RULEBOT_LOG") or "var/rulebot-log.db"),
            index_dir=rsettings.index_dir(env.get("RULEBOT_INDEX")),
            secret=env.get("RULEBOT_CONSOLE_SECRET") or None,
            https=(env.get("RULEBOT_CONSOLE_HTTPS") or "").lower() in ("1", "true", "yes"))

    def secret_key(self) -> str:
        """The configured key, or one kept beside the accounts file so sessions survive restarts."""
        if self.secret:
            return self.secret
        f = self.officials.with_name(self.officials.name + ".secret")
        if not f.exists():
            f.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return f.read_text().strip()
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        return f.read_text().strip()


def listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConsoleSettingsError(f"RULEBOT_SERVE_LISTEN must be host:port, not '{value}'")
    return host.strip("[]") or "127.0.0.1", int(port)
