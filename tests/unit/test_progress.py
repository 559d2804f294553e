"""Progress lines on a fake clock and fake streams: what a terminal and a CI log see."""
from __future__ import annotations

import io

import numpy as np
import pytest

from retrieval.progress import Progress, duration, in_slices, interactive, track


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_outside_ci_gets_the_redrawn_line_and_ci_or_a_pipe_plain_lines():
    assert interactive(Tty(), env={})
    assert not interactive(Tty(), env={"CI": "true"})
    assert interactive(Tty(), env={"CI": "false"})
    assert not interactive(io.StringIO(), env={})


def test_the_line_says_how_many_the_rate_and_the_time_left():
    clock = Clock()
    p = Progress(1000, "clauses embedded", stream=io.StringIO(), clock=clock, live=False)
    clock.now += 10
    p.update(250)
    assert p.line() == "250/1,000 clauses embedded (25%), 25.0/s, about 30 s left"


@pytest.mark.parametrize("seconds, shown", [(0.4, "0 s"), (59.6, "1 min 00 s"), (185, "3 min 05 s"),
                                             (3720, "1 h 02 min")])
def test_durations_read_naturally(seconds, shown):
    assert duration(seconds) == shown


def test_in_ci_a_line_at_most_every_ten_seconds_and_always_the_last():
    clock, out = Clock(), io.StringIO()
    with Progress(100, "clauses embedded", stream=out, clock=clock, live=False) as p:
        for _ in range(100):  # one item a second: 100 s in all
            clock.now += 1
            p.advance()
    lines = out.getvalue().splitlines()
    assert lines[0] == "0/100 clauses embedded (0%)"
    assert len(lines) == 1 + 9 + 1  # the start, one every 10 s before the end, the total
    assert lines[1].startswith("10/100 ") and "about 1 min 30 s left" in lines[1]
    assert lines[-1] == "100/100 clauses embedded in 1 min 40 s, 1.0/s"
    assert "\r" not in out.getvalue()


def test_a_short_job_in_ci_prints_two_lines():
    clock, out = Clock(), io.StringIO()
    with Progress(5, "questions asked", stream=out, clock=clock, live=False) as p:
        for _ in range(5):
            clock.now += 0.1
            p.advance()
    assert len(out.getvalue().splitlines()) == 2


def test_on_a_terminal_one_line_is_redrawn_then_ended(monkeypatch):
    monkeypatch.delenv("CI", raising=False)  # a developer's terminal (CI runs set CI=true)
    clock, out = Clock(), Tty()
    with Progress(3, "clauses embedded", stream=out, clock=clock) as p:
        for _ in range(3):
            clock.now += 1
            p.advance()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, ended once
    assert text.count("\r") == 4  # the start, two updates, the total
    assert text.rstrip().split("\r")[-1].startswith("3/3 clauses embedded in 3 s")


def test_a_shorter_redraw_blanks_what_the_longer_one_left(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    clock, out = Clock(), Tty()
    p = Progress(10, "x", stream=out, clock=clock)
    clock.now += 1
    p.update(5)  # longer than the last line: it has a time left
    clock.now += 1
    p.close()
    parts = out.getvalue().split("\r")[1:]
    assert len(parts[1]) > len(parts[2].rstrip(" \n"))
    assert len(parts[2].rstrip("\n")) == len(parts[1])  # padded over the longer one


def test_track_counts_each_item_and_is_silent_when_asked():
    clock, out = Clock(), io.StringIO()
    assert list(track([1, 2, 3], "items", stream=out, clock=clock, live=False)) == [1, 2, 3]
    assert out.getvalue().splitlines()[-1].startswith("3/3 items in")
    quiet = io.StringIO()
    assert list(track([1, 2], "items", show=False, stream=quiet)) == [1, 2] and quiet.getvalue() == ""


def test_embedding_in_slices_keeps_the_order_and_reports_each_slice():
    texts = ["a" * n for n in (3, 10, 1, 7, 5)]
    calls = []

    def encode(batch):
        calls.append([len(t) for t in batch])
        return np.array([[len(t), 1.0] for t in batch], dtype=np.float32)

    clock, out = Clock(), io.StringIO()
    vecs = in_slices(texts, encode, Progress(5, "clauses embedded", stream=out, clock=clock, live=False), step=2)
    assert vecs[:, 0].tolist() == [3, 10, 1, 7, 5]  # back in the texts' order
    assert calls == [[10, 7], [5, 3], [1]]  # longest first, so a batch pads little
    assert out.getvalue().splitlines()[-1].startswith("5/5 clauses embedded")


def test_without_progress_the_encoder_is_called_once_as_it_always_was():
    calls = []

    def encode(batch):
        calls.append(list(batch))
        return np.ones((len(batch), 2), dtype=np.float32)

    assert in_slices(["a", "bb", "c"], encode, None).shape == (3, 2)
    assert calls == [["a", "bb", "c"]]


def test_an_encoder_that_reports_its_batches_is_called_once_and_keeps_its_own_batches():
    calls = []

    def encode(batch, on_batch=None):  # as the ONNX backend: its own grouping, reported as it goes
        calls.append(list(batch))
        for start in range(0, len(batch), 2):
            on_batch(len(batch[start:start + 2]))
        return np.array([[len(t)] for t in batch], dtype=np.float32)

    clock, out = Clock(), io.StringIO()
    texts = ["a" * n for n in (3, 10, 1, 7, 5)]
    progress = Progress(5, "clauses embedded", stream=out, clock=clock, live=False)
    assert in_slices(texts, encode, progress).ravel().tolist() == [3, 10, 1, 7, 5]
    assert calls == [texts] and progress.done == 5
    assert out.getvalue().splitlines()[-1].startswith("5/5 clauses embedded")


def test_a_step_that_cannot_count_says_how_long_it_has_been_going():
    import time

    from retrieval.progress import working

    out = io.StringIO()
    with working("k-means: 4,000 lists", stream=out, live=False, every=0.02):
        time.sleep(0.11)
    lines = out.getvalue().splitlines()
    assert lines[0] == "k-means: 4,000 lists …"
    assert len(lines) >= 4 and all(line.endswith("so far") for line in lines[1:-1])
    assert lines[-1] == "k-means: 4,000 lists: done in 0 s"
    quiet = io.StringIO()
    with working("x", show=False, stream=quiet):
        pass
    assert quiet.getvalue() == ""
