"""Progress of long work (embedding, tokenising, benchmark loops), so it never looks hung.

On a terminal it is one line on stderr, redrawn at most ten times a second: how many items are
done, the rate and the time left. In CI (`CI` set to anything but "", "0" or "false") or when
stderr is not a terminal (a log file, a pipe), it is a plain line at most every `quiet_every`
seconds, and always a last line with the total time, so logs stay short and readable.
"""
from __future__ import annotations

import inspect
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Self, TextIO, TypeVar

import numpy as np

T = TypeVar("T")


def interactive(stream: TextIO, env: dict[str, str] | None = None) -> bool:
    """A single redrawn line only for a terminal outside CI."""
    env = os.environ if env is None else env
    if env.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or a fake stream
        return False


def duration(seconds: float) -> str:
    """'42 s', '3 min 05 s', '1 h 02 min': short, and exact enough for a time left."""
    s = round(max(seconds, 0.0))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """`done` of `total` items (`unit`, e.g. "clauses embedded"), reported as they advance."""

    def __init__(self, total: int, unit: str, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, live: bool | None = None,
                 quiet_every: float = 10.0, redraw_every: float = 0.1):
        self.total, self.unit = max(int(total), 0), unit
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.live = interactive(self.stream) if live is None else live
        self.quiet_every, self.redraw_every = quiet_every, redraw_every
        self.done = 0
        self.started = clock()
        self._shown_at = self.started
        self._width = 0
        self._closed = False
        self._show(self.line(self.started), self.started)  # says at once what is starting

    def line(self, now: float | None = None) -> str:
        """'1,200/11,538 clauses embedded (10%), 24.0/s, about 7 min 10 s left'."""
        elapsed = (self.clock() if now is None else now) - self.started
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        text = f"{self.done:,}/{self.total:,} {self.unit}{share}"
        if self.done and elapsed > 0:
            rate = self.done / elapsed
            text += f", {rate:,.1f}/s"
            if self.done < self.total:
                text += f", about {duration((self.total - self.done) / rate)} left"
        return text

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def update(self, done: int) -> None:
        self.done = min(int(done), self.total) if self.total else int(done)
        now = self.clock()
        due = now - self._shown_at >= (self.redraw_every if self.live else self.quiet_every)
        if due and self.done < self.total:
            self._show(self.line(now), now)

    def close(self) -> None:
        """The last line: what was done and how long it took (printed once)."""
        if self._closed:
            return
        self._closed = True
        now = self.clock()
        elapsed = now - self.started
        rate = f", {self.done / elapsed:,.1f}/s" if self.done and elapsed > 0 else ""
        self._show(f"{self.done:,}/{self.total:,} {self.unit} in {duration(elapsed)}{rate}", now, last=True)

    def _show(self, text: str, now: float, last: bool = False) -> None:
        self._shown_at = now
        if self.live:
            pad = " " * max(0, self._width - len(text))
            self._width = len(text)
            self.stream.write("\r" + text + pad + ("\n" if last else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def track(items: Iterable[T], unit: str, total: int | None = None, show: bool = True,
          **kwargs) -> Iterator[T]:
    """`items` as they are, each one counted as done when the next is asked for; silent unless
    `show` (library callers stay quiet by default, commands turn it on)."""
    if not show:
        yield from items
        return
    with Progress(len(items) if total is None else total, unit, **kwargs) as p:
        for item in items:
            yield item
            p.advance()


def in_slices(texts: Sequence[str], encode: Callable[..., np.ndarray], progress: Progress | None,
              step: int = 32) -> np.ndarray:
    """`encode(texts)`, with `progress` advanced as the model's batches are done, and the same
    vectors as one call without progress. An encoder that reports its own batches (`on_batch`,
    as the ONNX backend does) is called once: its batches are its own (its int8 activations are
    scaled per batch, so another grouping would change the vectors). Otherwise (sentence-
    transformers) it is called on slices of `step` texts in the order it sorts them itself
    (longest first): each slice is one of its batches, a few seconds even on a busy machine."""
    texts = list(texts)
    if progress is None:
        return encode(texts)
    if "on_batch" in inspect.signature(encode).parameters:
        out = encode(texts, on_batch=progress.advance)
    else:
        order = np.argsort([-len(t) for t in texts])  # as sentence-transformers orders its batches
        out = None
        for s in range(0, len(order), step):
            idx = order[s:s + step]
            vecs = encode([texts[i] for i in idx])
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
            progress.advance(len(idx))
    progress.close()
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


@contextmanager
def working(what: str, show: bool = True, stream: TextIO | None = None, live: bool | None = None,
            every: float | None = None) -> Iterator[None]:
    """For one long step that cannot count its own progress (k-means, BM25 over a million
    clauses): how long it has been going, redrawn every second on a terminal and every 10 s
    otherwise, then how long it took."""
    if not show:
        yield
        return
    stream = sys.stderr if stream is None else stream
    live = interactive(stream) if live is None else live
    every = every if every is not None else (1.0 if live else 10.0)
    start, done, lock = time.monotonic(), threading.Event(), threading.Lock()

    def say(text: str, last: bool = False) -> None:
        with lock:
            stream.write(("\r" + text.ljust(len(what) + 24) + ("\n" if last else "")) if live else text + "\n")
            stream.flush()

    def beat() -> None:
        while not done.wait(every):
            say(f"{what}: {duration(time.monotonic() - start)} so far")

    say(f"{what} …")
    ticker = threading.Thread(target=beat, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        say(f"{what}: done in {duration(time.monotonic() - start)}", last=True)
