"""`rulebot officials`, `rulebot review` and `rulebot serve`: the officials' side."""
from __future__ import annotations

import argparse

from . import options


def configure(name: str, p: argparse.ArgumentParser) -> None:
    if name == "officials":
        configure_officials(p)
    elif name == "review":
        configure_review(p)
    else:
        p.add_argument("--listen", help="host:port (default: $RULEBOT_SERVE_LISTEN or 127.0.0.1:8080)")
        options.engine(p)
        options.exchange_log(p)


def run(args) -> int:
    from bot.console import commands

    if args.command == "officials":
        return commands.run_officials(args)
    if args.command == "review":
        if args.action == "pending":
            from .documents import run_review

            return run_review(args)
        return commands.run_review(args)
    from bot.channels.hosted import serve

    return serve(args)


def configure_officials(p: argparse.ArgumentParser) -> None:
    from bot.officials import ROLES

    p.add_argument("--officials", help="accounts file (default: $RULEBOT_OFFICIALS or var/officials.db)")
    sub = p.add_subparsers(dest="action", required=True)
    a = sub.add_parser("add", help="create an account")
    a.add_argument("name")
    a.add_argument("--role", choices=ROLES, required=True,
                   help="reviewer: judges answers; editor: also edits the FAQ; admin: also manages accounts")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    sub.add_parser("list", help="list the accounts")
    r = sub.add_parser("remove", help="delete an account (its sessions end at once)")
    r.add_argument("name")
    w = sub.add_parser("passwd", help="set a new password (the account's sessions end at once)")
    w.add_argument("name")
    w.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    o = sub.add_parser("role", help="change an account's role")
    o.add_argument("name")
    o.add_argument("role", choices=ROLES)
    u = sub.add_parser("unlock", help="lift a lockout after too many wrong passwords")
    u.add_argument("name")


def configure_review(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    e = sub.add_parser("export", help="write reviewed exchanges as gold questions (for rulebot eval --gold)")
    e.add_argument("--gold", required=True, help="output file, JSON lines in the gold set's format")
    e.add_argument("--log", help="exchange log (default: $RULEBOT_LOG or var/rulebot-log.db)")
    e.add_argument("--officials", help="accounts file, for the audit trail (default: $RULEBOT_OFFICIALS)")
    q = sub.add_parser("pending", help="answers whose source has been retired or replaced since")
    options.exchange_log(q)
    q.add_argument("--json", action="store_true", help="print them as JSON")
