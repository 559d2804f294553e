"""Options several subcommands share, declared once."""
from __future__ import annotations

import argparse
from datetime import date


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date in the form YYYY-MM-DD") from None


def engine(p: argparse.ArgumentParser) -> None:
    """Which index and embedding model to use."""
    p.add_argument("--index", help="index directory (default: $RULEBOT_INDEX or var/index)")
    model(p)


def model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="sentence-transformers model name or path (default: $RULEBOT_MODEL "
                                   "or the converted multilingual-e5-small)")


def as_of(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=iso_date, help="answer as of this day (YYYY-MM-DD): later documents ignored")


def exchange_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log", help="exchange log database (default: $RULEBOT_LOG or var/rulebot-log.db)")
