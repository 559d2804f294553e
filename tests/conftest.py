"""Shared by every tier. The tiers, by cost:

    tests/unit/         no model, no index: milliseconds each
    tests/channels/     fake Bot API servers on 127.0.0.1 and a fake engine, no model
    tests/integration/  the real converted model and an index built once per session

`pytest -q` runs them all; `pytest tests/unit tests/channels` is the quick loop.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RULEBOT_OFFICIALS_FAQ", "")  # the shipped FAQ only, whatever officials added in var/
REPO = Path(__file__).resolve().parent.parent
