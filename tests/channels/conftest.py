"""The channel tier: the real adapters, core, service and exchange log against fake Bot API servers
on 127.0.0.1 (fake_telegram, fake_zalo), with a FakeEngine instead of the model.

Tests that hold for both channels take the `side` fixture, parametrised over Telegram and Zalo;
a `Side` knows how to play the users of its platform (ask, press, post to the webhook) and how
to read what they received, so one test body states one property for both.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the fake servers, also for the bot processes the soak starts

from bot.channels import serve  # noqa: E402
from bot.channels.core import ChannelCore, DeliveryPolicy  # noqa: E402
from bot.channels.settings import ChannelSettings  # noqa: E402
from bot.exchange_log import ExchangeLog  # noqa: E402
from bot.service import FloodLimiter, Service  # noqa: E402
from fake_telegram import FakeTelegram  # noqa: E402
from fake_zalo import FakeZalo  # noqa: E402
from retrieval.answer import check_question  # noqa: E402
from retrieval.corpus import load_manifest  # noqa: E402
from retrieval.types import Answer, Citation  # noqa: E402

REPO = HERE.parent.parent
DOCS = load_manifest(REPO / "data" / "sources.toml")
SOURCE_TEXTS = [d.text for d in DOCS]
OFF_TOPIC = "Giá vàng hôm nay bao nhiêu?"
SALT = "channel-tests"


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: the bounded fault soak (about a minute); -m 'not soak' skips it")


# --- the engine ---------------------------------------------------------------------------------

def _clauses() -> list[Citation]:
    """Real clauses: paragraphs of the real source files, with their real metadata and offsets."""
    out = []
    for d in DOCS:
        paragraphs = [p for p in d.text.split("\n") if 80 <= len(p) <= 380]
        for k, p in enumerate(paragraphs[:3], 1):
            start = d.text.index(p)
            out.append(Citation(p, d.source, f"đoạn {k + 1}", f"{d.source.id}:{k:03d}", start,
                                start + len(p), round(0.9 - 0.02 * len(out), 4)))
    return out


CLAUSES = _clauses()


def canned(question: str) -> Answer:
    """What the FakeEngine says unless told otherwise: the real engine's three kinds of answer."""
    problem = check_question(question)
    if problem:
        return Answer(question or "", "invalid", notice=problem)
    if "giá vàng" in question.lower():
        return Answer(question, "no_match", as_of=max(d.source.date for d in DOCS))
    i = zlib.crc32(question.encode()) % len(CLAUSES)
    main = CLAUSES[i]
    more = next(c for c in CLAUSES[i + 1:] + CLAUSES[:i] if c.source.date != main.source.date)
    return Answer(question, "answered", main=main, more=(more,), margin=0.12)


@dataclass
class _Script:
    answer: Answer | None = None
    error: Exception | None = None
    delay: float = 0.0
    gate: threading.Event | None = None


class FakeEngine:
    """Canned Answers, no model. Per question it can be told to answer something given, to raise,
    to be slow, or to wait for a gate the test opens (`hold`), which is how a test keeps an
    answer "in preparation" for exactly as long as it needs, without guessing a duration."""

    def __init__(self, answer_for=canned):
        self.answer_for = answer_for
        self.sources = sorted((d.source for d in DOCS), key=lambda s: s.date, reverse=True)
        self.asked: list[str] = []
        self._script: dict[str, _Script] = {}
        self._lock = threading.Lock()

    def answers(self, question: str, answer: Answer) -> None:
        self._script[question] = _Script(answer=answer)

    def fails(self, question: str, error: Exception | None = None) -> None:
        self._script[question] = _Script(error=error or RuntimeError("index on fire"))

    def slow(self, question: str, seconds: float) -> None:
        self._script[question] = _Script(delay=seconds)

    def hold(self, question: str) -> threading.Event:
        gate = threading.Event()
        self._script[question] = _Script(gate=gate)
        return gate

    def answer(self, question: str, as_of=None) -> Answer:
        with self._lock:
            self.asked.append(question)
            script = self._script.get(question)
        if script is None:
            return self.answer_for(question)
        if script.gate is not None and not script.gate.wait(30):
            raise TimeoutError("the test never released this question")
        time.sleep(script.delay)
        if script.error is not None:
            raise script.error
        return script.answer or self.answer_for(question)


# --- the exchange log ---------------------------------------------------------------------------

def new_service(engine: FakeEngine, log_path: Path, limit: int = 50) -> Service:
    return Service(engine, ExchangeLog(log_path, salt=SALT), FloodLimiter(limit=limit, window=10))


def rows(log_path: Path) -> list[dict]:
    """The log as the officials would read it, from a connection of its own (the bot closes its
    log when it stops, and a killed bot leaves it as it was)."""
    if not log_path.exists():
        return []
    con = sqlite3.connect(log_path, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("select * from exchanges order by at")]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        con.close()


def complete(log_path: Path, n: int):
    """A condition: n exchanges logged, each with its delivery recorded."""
    def check():
        rs = rows(log_path)
        return rs if len(rs) >= n and all(r["delivery"] is not None for r in rs) else None
    return check


# --- the platforms --------------------------------------------------------------------------------

class Side:
    """One platform as the tests see it: its fake server, its users, its adapter."""

    name: str
    fake: FakeTelegram | FakeZalo
    platform = None
    adapter_class = None

    def env(self, webhook: bool = False) -> dict:
        p = self.platform.prefix
        env = {f"{p}_BOT_TOKEN": self.fake.token, f"{p}_API_BASE_URL": self.fake.api_url}
        if webhook:
            env[f"{p}_WEBHOOK_URL"] = f"https://bot.example.test/{self.name}/hook"
        return env

    def settings(self, webhook: bool = False, **env) -> ChannelSettings:
        s = ChannelSettings.from_env(self.platform, {**self.env(webhook), **env}, webhook=webhook)
        return dataclasses.replace(s, listen_port=0) if webhook else s  # any free port

    def adapter(self, settings: ChannelSettings | None = None, *, webhook: bool = False, read_timeout: float = 5.0):
        raise NotImplementedError

    def chat(self, n: int):
        raise NotImplementedError

    def ask(self, n: int, text, **kw) -> str:
        """User n asks `text` in their private chat; the update's key as the core logs it."""
        raise NotImplementedError

    def webhook_update(self, n: int, text: str) -> dict:
        raise NotImplementedError

    def non_text(self, n: int) -> None:
        raise NotImplementedError

    def texts(self, n: int) -> list[str]:
        return self.fake.texts(self.chat(n))

    def typing(self, n: int) -> int:
        return self.fake.typing(self.chat(n))

    def sends(self) -> int:
        return len(self.fake.called("sendMessage"))

    async def replies(self, n: int, count: int, timeout: float = 15.0) -> list[str]:
        await self.fake.wait_for(lambda: len(self.texts(n)) >= count, timeout, f"{count} replies to user {n}")
        return self.texts(n)

    async def post(self, bot: "Bot", update: dict, secret: str | None = "registered", **kw) -> int:
        secret = bot.adapter.settings.secret if secret == "registered" else secret
        headers = {self.platform.secret_header: secret} if secret is not None else {}
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(bot.webhook_url, json=update, headers=headers)
        return r.status_code


class TelegramSide(Side):
    name = "telegram"

    def __init__(self):
        from bot.channels.telegram import PLATFORM, TelegramAdapter

        self.platform, self.adapter_class = PLATFORM, TelegramAdapter
        self.fake = FakeTelegram().start()

    def adapter(self, settings=None, *, webhook=False, read_timeout=5.0):
        return self.adapter_class(settings or self.settings(webhook), poll_timeout=2, connect_timeout=2.0,
                                  read_timeout=read_timeout)

    def chat(self, n):
        return 1000 + n

    def ask(self, n, text, **kw):
        return str(self.fake.text(self.chat(n), text, **kw))

    def webhook_update(self, n, text):
        return self.fake.update(self.chat(n), text)

    def non_text(self, n):
        self.fake.sticker(self.chat(n))


class ZaloSide(Side):
    name = "zalo"

    def __init__(self):
        from bot.channels.zalo import PLATFORM, ZaloAdapter

        self.platform, self.adapter_class = PLATFORM, ZaloAdapter
        self.fake = FakeZalo().start()

    def adapter(self, settings=None, *, webhook=False, read_timeout=5.0):
        return self.adapter_class(settings or self.settings(webhook), poll_timeout=2, grace=1.0,
                                  read_timeout=read_timeout)

    def chat(self, n):
        return f"c{n}"

    def ask(self, n, text, **kw):
        u = self.fake.push(text, chat_id=self.chat(n), **kw)
        return f"{self.chat(n)}:{u['message']['message_id']}"

    def webhook_update(self, n, text):
        return self.fake.update(text, chat_id=self.chat(n))

    def non_text(self, n):
        self.fake.push(event="message.sticker.received", chat_id=self.chat(n))


SIDES = {"telegram": TelegramSide, "zalo": ZaloSide}


@pytest.fixture(params=list(SIDES))
def side(request) -> Side:
    s = SIDES[request.param]()
    yield s
    s.fake.stop()


@pytest.fixture
def tg() -> TelegramSide:
    s = TelegramSide()
    yield s
    s.fake.stop()


@pytest.fixture
def zl() -> ZaloSide:
    s = ZaloSide()
    yield s
    s.fake.stop()


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context():
    """Every httpx client builds a TLS context from the CA bundle (0.1 s here), and every bot
    started in this tier builds one or two although the fakes speak plain HTTP: share one. Only
    time changes; if httpx moves the function, the tests run as they are, just slower."""
    from httpx._transports import default

    original = getattr(default, "create_ssl_context", None)
    if original is None:
        yield
        return
    made: dict = {}

    def shared(verify=True, cert=None, trust_env=True):
        key = (verify if isinstance(verify, (bool, str)) else id(verify), cert, trust_env)
        if key not in made:
            made[key] = original(verify=verify, cert=cert, trust_env=trust_env)
        return made[key]

    default.create_ssl_context = shared
    yield
    default.create_ssl_context = original


@pytest.fixture
def log_path(tmp_path) -> Path:
    return tmp_path / "log.db"


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def root_logging():
    """setup_logging adds a handler to the root logger; take it away again after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)
    for n, lvl in noisy.items():
        logging.getLogger(n).setLevel(lvl)


# --- running a bot --------------------------------------------------------------------------------

FAST = DeliveryPolicy(backoff=0.02, max_wait=5.0)  # the real policy, with test-sized waits
START_RETRY = 0.02  # the first wait of the start-up retries (0.5 s in production)


@dataclass
class Bot:
    core: ChannelCore
    server: serve.WebServer | None
    adapter: object
    task: asyncio.Task

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.adapter.settings.webhook_path}"


@contextlib.asynccontextmanager
async def running(side: Side, service: Service, *, webhook: bool = False, adapter=None,
                  typing_every: float = 0.05, typing_after: float = 0.0, policy: DeliveryPolicy = FAST,
                  stop_timeout: float = 20.0):
    """`serve.run` as `rulebot <channel>` runs it, stopped by an event instead of a signal.
    Typing renewal and retry waits are made test-sized in the `started` hook, the start-up
    retries' waits by `retry_wait`."""
    adapter = adapter or side.adapter(webhook=webhook)
    stopping = asyncio.Event()
    ready: asyncio.Future = asyncio.get_running_loop().create_future()

    def started(core, server):
        core.typing_every, core.typing_after, core.policy = typing_every, typing_after, policy
        ready.set_result((core, server))

    task = asyncio.create_task(serve.run(adapter, lambda: service, webhook, stopping=stopping, started=started,
                                        retry_wait=START_RETRY))
    done, _ = await asyncio.wait({task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        if task.done():
            task.result()  # raises what stopped the bot
        task.cancel()
        raise AssertionError("the bot did not start within 30 s")
    core, server = ready.result()
    try:
        yield Bot(core, server, adapter, task)
    finally:
        stopping.set()
        await asyncio.wait_for(task, stop_timeout)


# --- a bot in a process of its own ----------------------------------------------------------------

class BotProcess:
    """tests/channels/botproc.py in a subprocess: signalled or killed like a deployed bot. Its
    stderr goes to a file (a pipe nobody reads would fill up and stall a bot logging at DEBUG).
    Mode "spare" starts the process but not the bot: `go()` does, without the second or so
    Python takes to start and import it."""

    def __init__(self, mode: str, side: Side, cwd: Path, env: dict, name: str = "bot"):
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "RULEBOT_"))}
        self.err_path = cwd / f"{name}.stderr"
        self._err = self.err_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "botproc.py"), mode, side.name], cwd=cwd,
                                     env={**base, "PYTHONUNBUFFERED": "1", **env},
                                     stdin=subprocess.PIPE if mode == "spare" else subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._err)

    def go(self) -> None:
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.alive():
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self._err.close()
            if self.proc.stdin:
                self.proc.stdin.close()

    def kill(self) -> int:
        return self.stop(signal.SIGKILL)
