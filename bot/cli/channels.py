"""`rulebot telegram` and `rulebot zalo`: one channel, by long polling or webhook."""
from __future__ import annotations

import asyncio

from . import UserError, options


def configure(name: str, p) -> None:
    p.add_argument("--webhook", action="store_true",
                   help=f"receive updates by webhook instead of long polling (needs {name.upper()}_WEBHOOK_URL)")
    options.engine(p)
    options.exchange_log(p)


def run(args) -> int:
    from bot.channels import serve
    from bot.channels.settings import ChannelSettings, SettingsError, load_dotenv, setup_logging

    load_dotenv()
    if args.command == "telegram":
        from bot.channels.telegram import PLATFORM, TelegramAdapter as Adapter
    else:
        from bot.channels.zalo import PLATFORM, ZaloAdapter as Adapter
    try:
        settings = ChannelSettings.from_env(PLATFORM, webhook=args.webhook)
        setup_logging((settings.token, settings.secret or ""))
        asyncio.run(serve.run(Adapter(settings), lambda: make_service(args), args.webhook))
    except SettingsError as e:
        raise UserError(str(e)) from None
    return 0


def make_service(args):
    from bot.exchange_log import ExchangeLog
    from bot.service import Service, log_path
    from retrieval.engine import Engine

    return Service(Engine.load(args.index, args.model), ExchangeLog(log_path(args.log)))
