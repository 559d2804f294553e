"""Index jobs (a document added) in the Rebuilder's thread: queued in order, one at a time with
the rebuilds, an engine swapped in only when the job returns one, a refusal said as it is."""
import threading

from bot.engine_holder import EngineHolder, Job, JobError, Rebuilder


class Engine:
    def __init__(self, name):
        self.name = name
        self.index = type("I", (), {"manifest": {"build_seconds": 1.0}})()


def _rebuilder(holder, log):
    def build(docs, entries, out, engine):
        log.append("rebuild")
        return {}

    return Rebuilder(holder, "unused", corpus=lambda: ([], []), build=build,
                     load=lambda out, engine, docs, entries: Engine("rebuilt"))


def test_jobs_run_in_order_after_the_one_running_and_a_rebuild_asked_meanwhile_runs_once_after():
    holder = EngineHolder(Engine("old"))
    log, gate = [], threading.Event()

    def first(engine):
        gate.wait(5)
        log.append(("first", engine.name))
        return Engine("first"), "Đã thêm một"

    def second(engine):
        log.append(("second", engine.name))
        return None, "Đã thêm hai"

    rb = _rebuilder(holder, log)
    assert rb.request("eddie", Job("Thêm một", first)).job == "Thêm một"
    rb.request("eddie", Job("Thêm hai", second))
    rb.request("eddie")
    rb.request("eddie")  # coalesces with the one before
    assert rb.state.waiting == 1 and rb.state.pending
    gate.set()
    state = rb.wait(10)
    assert log == [("first", "old"), ("second", "first"), "rebuild"]
    assert state.phase == "done" and state.job == "" and holder.engine.name == "rebuilt"
    assert holder.generation == 2  # the first job's engine, then the rebuild's; the second swapped nothing


def test_a_refused_job_keeps_the_engine_and_says_why():
    holder = EngineHolder(Engine("old"))

    def refuse(engine):
        raise JobError("Chưa thêm được văn bản: tệp trống.")

    rb = _rebuilder(holder, [])
    rb.request("eddie", Job("Thêm văn bản", refuse))
    state = rb.wait(10)
    assert state.phase == "failed" and state.message == "Chưa thêm được văn bản: tệp trống."
    assert holder.engine.name == "old" and holder.generation == 0


def test_a_job_that_crashes_is_reported_and_the_next_one_still_runs():
    holder = EngineHolder(Engine("old"))
    gate = threading.Event()

    def crash(engine):
        gate.wait(5)
        raise OSError("disk full")

    rb = _rebuilder(holder, [])
    rb.request("eddie", Job("Thêm A", crash))
    rb.request("eddie", Job("Thêm B", lambda engine: (Engine("b"), "Đã thêm B")))
    gate.set()
    state = rb.wait(10)
    assert state.phase == "done" and state.message.startswith("Đã thêm B") and holder.engine.name == "b"
