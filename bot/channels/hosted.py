"""`rulebot serve`: the officials' console, /healthz and the channels' webhooks in one ASGI app.

Each channel whose token is set gets its webhook at `/telegram` or `/zalo` (its
`<PREFIX>_WEBHOOK_URL` must point there through the proxy). The bots answer through the same
`EngineHolder` as the console, so an index rebuilt after an official's verdict reaches them
without a restart; a question already being answered finishes on the old index.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys

from .settings import ChannelSettings, SettingsError, load_dotenv, setup_logging

log = logging.getLogger(__name__)


def channel_routes(holder, log_path):
    """(routes, lifespan) for the channels whose tokens are set; a channel that is configured but
    cannot start stops the whole service with a clear message rather than half-running."""
    from bot.exchange_log import ExchangeLog
    from bot.service import Service

    from . import telegram, zalo
    from .core import ChannelCore
    from .serve import retrying, webhook_route

    hosted = []
    for platform, adapter_cls in ((telegram.PLATFORM, telegram.TelegramAdapter), (zalo.PLATFORM, zalo.ZaloAdapter)):
        if not os.environ.get(f"{platform.prefix}_BOT_TOKEN"):
            continue
        settings = ChannelSettings.from_env(platform, webhook=True)
        hosted.append(adapter_cls(settings))
    if not hosted:
        return [], None
    exchange_log = ExchangeLog(log_path)
    service = Service(holder, exchange_log)
    cores = {a.platform.name: ChannelCore(service, a.transport) for a in hosted}
    routes = [webhook_route(a, cores[a.platform.name], f"/{a.platform.name}") for a in hosted]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        for a in hosted:
            name = await retrying(a.connect, a, "getMe")
            await retrying(lambda a=a: a.prepare(webhook=True), a, "setWebhook")
            with contextlib.suppress(Exception):
                await a.decorate()
            await cores[a.platform.name].recover()
            log.info("%s webhook ready for %s at /%s", a.platform.name, name, a.platform.name)
        try:
            yield
        finally:
            for a in hosted:
                await cores[a.platform.name].drain()
                await a.close()
            exchange_log.close()

    return routes, lifespan


def serve(args) -> int:
    from bot.console import commands
    from bot.service import log_path

    load_dotenv()
    if getattr(args, "log", None):  # the console reviews the log the bots write
        os.environ["RULEBOT_LOG"] = args.log
    secrets = tuple(os.environ.get(f"{p}_{v}", "") for p in ("TELEGRAM", "ZALO") for v in ("BOT_TOKEN", "WEBHOOK_SECRET"))
    try:
        setup_logging(secrets)
        return commands.serve(args, lambda holder: channel_routes(holder, log_path(getattr(args, "log", None))))
    except SettingsError as e:
        print(f"rulebot: {e}", file=sys.stderr)
        return 2

