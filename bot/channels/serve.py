"""Running a channel, the same way for every platform: check the token (with retries), load the
engine, answer what the last run left unanswered, receive by long polling or webhook, and shut
down cleanly on SIGINT/SIGTERM after the answers in flight are out."""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import socket
from collections.abc import Callable

from .core import ChannelCore
from .settings import SettingsError

log = logging.getLogger(__name__)


async def retrying(call: Callable, adapter, what: str, attempts: int = 6, first_wait: float = 0.5,
                   max_wait: float = 10.0):
    """A start-up call, retried with back-off on transient errors; a rejected token stops at once."""
    wait = first_wait
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if adapter.rejected(e):
                raise SettingsError(f"{adapter.platform.name} rejected {adapter.platform.prefix}_BOT_TOKEN "
                                    f"({type(e).__name__}). Check the token; it may have been revoked.") from None
            if attempt == attempts or not adapter.transient(e):
                raise SettingsError(f"{what} failed ({type(e).__name__}: {e}). Check the network or "
                                    f"{adapter.platform.prefix}_API_BASE_URL.") from None
            log.warning("%s failed (%s); retry %d in %.1f s", what, type(e).__name__, attempt, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, max_wait)


async def poll_forever(adapter, core: ChannelCore, backoff: tuple[float, float] = (0.1, 30.0)) -> None:
    """Long-poll until cancelled. A failed poll backs off (doubling, reset by the next success);
    answers already under way run in their own tasks and never wait for the poll."""
    delay = 0.0
    while True:
        try:
            await adapter.poll_once(core.receive)
            delay = 0.0
        except asyncio.CancelledError:
            raise
        except Exception as e:
            delay = min(max(delay * 2, backoff[0]), backoff[1])
            log.warning("%s: polling failed (%s: %s); again in %.1f s", adapter.platform.name,
                        type(e).__name__, e, delay)
            await asyncio.sleep(delay)


def webhook_route(adapter, core: ChannelCore, path: str | None = None):
    """A Starlette route for the platform's webhook: the secret header is checked, the update is
    handed to the core (and so logged) before the 200 that tells the platform it arrived."""
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    header, secret = adapter.platform.secret_header, (adapter.settings.secret or "").encode()

    async def endpoint(request):
        given = request.headers.get(header, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            log.warning("%s webhook call with a missing or wrong secret refused", adapter.platform.name)
            return Response(status_code=403)
        body = await request.body()
        if len(body) > 1 << 20:
            return Response(status_code=413)
        try:
            adapter.from_webhook(json.loads(body), core.receive)
        except ValueError:
            return Response(status_code=400)
        return JSONResponse({"ok": True})

    return Route(path or adapter.settings.webhook_path, endpoint, methods=["POST"])


class WebServer:
    """uvicorn in this event loop, on a socket bound up front (so port 0 works in tests)."""

    def __init__(self, routes: list, host: str, port: int):
        from starlette.applications import Starlette
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        async def healthz(request):
            return PlainTextResponse("ok")

        self.app = Starlette(routes=[*routes, Route("/healthz", healthz)])
        self.host, self.port = host, port
        self._server = self._task = None

    async def start(self) -> int:
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as e:
            sock.close()
            raise SettingsError(f"Cannot listen on {self.host}:{self.port} ({e.strerror or e}).") from None
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # ours are installed by run()
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        self.port = sock.getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
            await asyncio.wait([self._task], timeout=5)


async def run(adapter, make_service: Callable, webhook: bool, stopping: asyncio.Event | None = None,
              started: Callable | None = None, retry_wait: float = 0.5) -> None:
    """Serve one channel until `stopping` is set (SIGINT/SIGTERM by default). `retry_wait` is
    the first wait of the start-up retries; tests make it small so a retry costs no real time."""
    stopping = stopping or _on_signals()
    try:
        name = await retrying(adapter.connect, adapter, "getMe", first_wait=retry_wait)
        log.info("%s: token accepted for %s; loading the model and index", adapter.platform.name, name)
        service = await asyncio.to_thread(make_service)
        core = ChannelCore(service, adapter.transport)
        await retrying(lambda: adapter.prepare(webhook), adapter, "setWebhook" if webhook else "deleteWebhook",
                       first_wait=retry_wait)
        try:
            await adapter.decorate()
        except Exception as e:
            log.warning("could not set the command menu (%s); carrying on", e)
        await core.recover()
        server = poller = None
        if webhook:
            s = adapter.settings
            server = WebServer([webhook_route(adapter, core)], s.listen_host, s.listen_port)
            port = await server.start()
            log.info("%s webhook listening on %s:%d%s", adapter.platform.name, s.listen_host, port, s.webhook_path)
        else:
            poller = asyncio.create_task(poll_forever(adapter, core))
            log.info("%s: answering (long polling)", adapter.platform.name)
        if started:
            started(core, server)
        await stopping.wait()
        log.info("%s: stopping", adapter.platform.name)
        if poller:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
        if server:
            await server.stop()
        await core.drain()
        service.log.close()
    finally:
        await adapter.close()


def _on_signals() -> asyncio.Event:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    return stopping
