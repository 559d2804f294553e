"""Swapping the engine under running questions, and the background rebuild."""
import threading
import time
from types import SimpleNamespace

from bot.engine_holder import EngineHolder, Rebuilder


class Slow:
    """An engine whose answers wait for a signal, to hold a question in flight."""

    def __init__(self, name):
        self.name = name
        self.index = SimpleNamespace(manifest={"build_seconds": 1.0})
        self.go = threading.Event()
        self.started = threading.Event()

    def answer(self, question, as_of=None):
        self.started.set()
        self.go.wait(5)
        return f"{self.name}: {question}"


def test_a_question_in_flight_finishes_on_the_old_engine_and_the_next_gets_the_new():
    old, new = Slow("old"), Slow("new")
    new.go.set()
    holder = EngineHolder(old)
    out = []
    t = threading.Thread(target=lambda: out.append(holder.answer("q1")))
    t.start()
    assert old.started.wait(5)
    assert holder.swap(new) is old
    assert holder.answer("q2") == "new: q2"
    old.go.set()
    t.join(5)
    assert out == ["old: q1"] and holder.generation == 1


def _rebuilder(holder, build, load=lambda out, engine, docs, entries: Slow("rebuilt")):
    return Rebuilder(holder, "unused", corpus=lambda: ([], []), build=build, load=load)


def test_a_failed_rebuild_keeps_the_engine_in_use_and_says_why():
    holder = EngineHolder(Slow("old"))

    def build(*a):
        raise RuntimeError("disk full")

    rb = _rebuilder(holder, build)
    rb.request("eddie")
    state = rb.wait(5)
    assert state.phase == "failed" and "disk full" in state.message and "chỉ mục cũ" in state.message
    assert holder.engine.name == "old" and holder.generation == 0


def test_requests_during_a_rebuild_coalesce_into_one_more_run():
    holder = EngineHolder(Slow("old"))
    gate, runs = threading.Event(), []

    def build(docs, entries, out, engine):
        runs.append(time.monotonic())
        gate.wait(5)
        return {"build_seconds": 0.1, "faq_questions": 0}

    rb = _rebuilder(holder, build)
    assert rb.request("a").phase == "queued"
    while not runs:
        time.sleep(0.01)
    assert rb.state.phase == "building" and 0 <= rb.state.progress <= 0.95
    rb.request("b")
    assert rb.request("c").pending
    gate.set()
    state = rb.wait(5)
    assert len(runs) == 2 and state.phase == "done" and state.runs == 2 and holder.generation == 2


def test_every_engine_swapped_in_gets_the_stores_validity_before_and_after_the_swap():
    holder = EngineHolder(Slow("old"))
    seen = []

    def refresh(engine):
        seen.append((engine.name, holder.engine.name))

    rb = Rebuilder(holder, "unused", corpus=lambda: ([], []), build=lambda *a: {},
                   load=lambda out, engine, docs, entries: Slow("rebuilt"), refresh=refresh)
    rb.request("eddie")
    assert rb.wait(5).phase == "done"
    assert seen == [("rebuilt", "old"), ("rebuilt", "rebuilt")]


def test_a_failing_refresh_is_logged_and_the_rebuilt_engine_still_serves(caplog):
    holder = EngineHolder(Slow("old"))

    def refresh(engine):
        raise OSError("store unreadable")

    rb = Rebuilder(holder, "unused", corpus=lambda: ([], []), build=lambda *a: {},
                   load=lambda out, engine, docs, entries: Slow("rebuilt"), refresh=refresh)
    rb.request("eddie")
    assert rb.wait(5).phase == "done" and holder.engine.name == "rebuilt"
    assert "validity" in caplog.text
