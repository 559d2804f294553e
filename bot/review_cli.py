"""`rulebot review …`: the plugin shim for bot/documents_cli.py's review commands."""
from bot.documents_cli import REVIEW_HELP as HELP  # noqa: F401
from bot.documents_cli import configure_review as configure  # noqa: F401
from bot.documents_cli import run_review as run  # noqa: F401
