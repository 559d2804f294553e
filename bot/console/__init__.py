"""The officials' console: review what the bot told residents, and feed the verdicts back.

`create_app` (app.py) builds the ASGI application `rulebot serve` runs; commands.py holds the
`officials`, `review export` and `serve` commands.
"""
from .app import create_app

__all__ = ["create_app"]
