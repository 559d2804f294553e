"""The channels: one core (`core.ChannelCore`) and a thin adapter per platform.

An adapter only turns the platform's updates into `core.Incoming`, sends text, and says whether
a failed send may have reached the user; `serve.run` runs any of them the same way.
"""
