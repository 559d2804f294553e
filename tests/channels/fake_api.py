"""What the fake Telegram and Zalo Bot APIs share: an HTTP server on 127.0.0.1 in its own threads
(so it keeps serving while the bot's event loop is busy, cancelled or killed), a record of every
call, and faults injected per call.

A fault spoils one call of one method, queued with `fault(method, kind)` or chosen by a `planner`
(the soak). Some faults leave the call without effect, others let it take effect and then spoil
the reply, which is what makes duplicates possible:

    not recorded   "500", "502" (an HTML gateway page), "429" (with retry_after), "408",
                   "badjson" (a 200 whose body is cut off), "hang" (a 504 after `delay`, by then
                   the client has given up), "reset" (the connection is closed without an answer)
    recorded       "500-after", "502-after", "badjson-after", and "slow-after" (the reply comes
                   after `delay`, past the client's read timeout)
    neither        "slow" (answers normally after `delay`)

A platform may define its own kinds on top (Zalo's "duplicate" and "garbage" polls).
"""
from __future__ import annotations

import asyncio
import json
import select
import socket
import struct
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

BEFORE = {"500", "502", "429", "408", "badjson", "hang", "reset", "slow"}
AFTER = {"500-after", "502-after", "badjson-after", "slow-after"}
GARBLED = b'{"ok": true, "result": {"message_id": '  # a JSON body cut off mid-way
GATEWAY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class ApiError(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


@dataclass
class Fault:
    kind: str
    delay: float = 0.0
    retry_after: int = 1


@dataclass
class Call:
    method: str
    params: dict
    at: float
    status: int = 200
    fault: str | None = None


@dataclass
class Sent:
    """A message the platform accepted: what the user sees."""

    chat_id: object
    message_id: int
    markup: str  # the text parameter exactly as the bot sent it
    text: str  # what the user reads
    parse_mode: str | None = None
    reply_markup: dict | None = None
    reply_to: int | None = None
    at: float = field(default_factory=time.perf_counter)

    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data")) for row in rows for b in row]


Planner = Callable[[str, dict], "Fault | None"]


class FakeBotApi:
    """The HTTP side; a platform subclass implements `_m_<method>(params, fault)` and its error shape."""

    name = "fake"

    def __init__(self, token: str):
        self.token = token
        self.calls: list[Call] = []
        self.messages: list[Sent] = []
        self.actions: list[tuple[object, str]] = []
        self.planner: Planner | None = None
        self.faults_done: Counter = Counter()  # (method, kind) → how many were served
        self.faulted: list[tuple[str, str, dict]] = []  # (method, kind, params) of each one
        self._cond = threading.Condition()
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._stopping = False
        self._message_ids = iter(range(1000, 10**9))
        self._local = threading.local()  # the connection of the request this thread serves

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()  # headers and body go out as separate writes: no Nagle wait between
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):  # its lines would carry the token
                pass

            def do_POST(self):
                fake._serve(self)

            do_GET = do_POST

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # a burst of connections must not be refused
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request, client_address):  # a killed bot resets its connections
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        # serve_forever notices shutdown() only between polls: a short poll makes stop() quick
        # (every channel test stops a fake; 0.05 s cost 3 s a run).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.005,), daemon=True,
                                        name=f"fake-{self.name}")
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what a test does --------------------------------------------------------------------

    def fault(self, method: str, kind: str, times: int = 1, **kw) -> None:
        with self._cond:
            self._faults[method].extend(Fault(kind, **kw) for _ in range(times))

    def faults_left(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._faults.values())

    def called(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def to(self, chat_id) -> list[Sent]:
        with self._cond:
            return [m for m in self.messages if m.chat_id == chat_id]

    def texts(self, chat_id) -> list[str]:
        return [m.text for m in self.to(chat_id)]

    def typing(self, chat_id) -> int:
        with self._cond:
            return sum(1 for c, a in self.actions if c == chat_id and a == "typing")

    async def wait_for(self, predicate, timeout: float = 15.0, what: str = "condition", every: float = 0.01):
        """Poll a condition from the test's event loop (the bot's tasks run between polls)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            await asyncio.sleep(every)

    def wait_until(self, predicate, timeout: float = 15.0, what: str = "condition", every: float = 0.01):
        """The same from a thread without an event loop (a bot in another process)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(every)

    def client_gone(self) -> bool:
        """Whether the client of the request being served has closed its end (a long poll of a
        bot that was stopped or killed): a server hands nothing out to a closed connection."""
        sock = getattr(self._local, "connection", None)
        try:
            readable, _, _ = select.select([sock], [], [], 0) if sock else ([], [], [])
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # --- platform hooks -----------------------------------------------------------------------

    def error_payload(self, code: int, description: str, fault: Fault | None = None) -> dict:
        return {"ok": False, "error_code": code, "description": description}

    def decode(self, h: BaseHTTPRequestHandler, body: bytes, query: dict) -> dict:
        return {**query, **(json.loads(body) if body else {})}

    # --- HTTP ---------------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if len(body) < length:  # the client gave up mid-request (a cancelled "typing…")
            h.close_connection = True
            return
        parts = url.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return self._json(h, 404, self.error_payload(404, "Not Found"))
        token, method = parts[0][3:], parts[1]
        try:
            params = self.decode(h, body, dict(parse_qsl(url.query)))
        except ValueError:
            return self._json(h, 400, self.error_payload(400, "Bad Request: body is not JSON"))
        self._local.connection = h.connection
        call = Call(method, params, time.perf_counter())
        with self._cond:
            self.calls.append(call)
        if token != self.token:
            call.status = 401
            return self._json(h, 401, self.error_payload(401, "Unauthorized"))
        with self._cond:
            fault = self._faults[method].popleft() if self._faults[method] else None
        if fault is None and self.planner is not None:
            fault = self.planner(method, params)
        if fault is not None:
            call.fault = fault.kind
            with self._cond:
                self.faults_done[(method, fault.kind)] += 1
                self.faulted.append((method, fault.kind, params))
            if fault.kind in BEFORE and fault.kind != "slow":
                return self._fail(h, call, fault)
            if fault.kind == "slow":
                time.sleep(fault.delay)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            call.status = 404
            return self._json(h, 404, self.error_payload(404, "Not Found: method not found"))
        try:
            result = handler(params, fault)
        except ApiError as e:
            call.status = e.code
            return self._json(h, e.code, self.error_payload(e.code, e.description))
        except (KeyError, TypeError, ValueError) as e:
            call.status = 400
            return self._json(h, 400, self.error_payload(400, f"Bad Request: {e!r}"))
        if fault is not None and fault.kind in AFTER:
            if fault.kind == "slow-after":
                time.sleep(fault.delay)  # the client has given up by now; the message is out
            else:
                return self._fail(h, call, fault)
        self._json(h, 200, {"ok": True, "result": result})

    def _fail(self, h: BaseHTTPRequestHandler, call: Call, fault: Fault) -> None:
        kind = fault.kind.removesuffix("-after")
        if kind == "reset":
            call.status = 0
            # SO_LINGER 0: the close sends a RST; no response at all reaches the client
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            return
        if kind == "hang":
            time.sleep(fault.delay)
            call.status = 504
            return self._json(h, 504, self.error_payload(504, "Gateway Timeout"))
        if kind == "badjson":
            call.status = 200
            return self._raw(h, 200, GARBLED, "application/json")
        if kind == "502":
            call.status = 502
            return self._raw(h, 502, GATEWAY, "text/html")
        code = int(kind)
        call.status = code
        descriptions = {500: "Internal Server Error", 408: "Request timeout",
                        429: f"Too Many Requests: retry after {fault.retry_after}"}
        self._json(h, code, self.error_payload(code, descriptions.get(code, "error"), fault))

    def _json(self, h, status: int, payload: dict) -> None:
        self._raw(h, status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    @staticmethod
    def _raw(h, status: int, body: bytes, ctype: str) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out); the platform does not care

    def _next_message_id(self) -> int:
        return next(self._message_ids)
