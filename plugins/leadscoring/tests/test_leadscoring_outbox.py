"""The outbox that writes the hooks' marks from a thread: nothing handed over is lost on the way to Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest
from crm_leadscoring.outbox import Outbox

CRM = object()  # the outbox only keys its marks by the CRM


class Recorder:
    """A write function that records each call and can be made to fail or to wait."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[list[int]] = []
        self.failures = failures
        self.written = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, crm: object, customer_ids: list[int]) -> None:
        self.release.wait(10)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("neither Redis nor the database answers")
        self.calls.append(customer_ids)
        self.written.set()


def taken_by_the_thread(outbox: Outbox) -> None:
    """Wait until the outbox's thread has taken what was handed over (and is writing it)."""
    while outbox.held():
        threading.Event().wait(0.001)


def test_a_mark_is_kept_when_writing_fails_and_written_on_the_next_try():
    write = Recorder(failures=1)
    outbox = Outbox(write, retry_seconds=0.01)

    outbox.add(CRM, [7, 3])

    assert write.written.wait(10)
    assert write.calls == [[3, 7]]
    assert outbox.held() == {}


def test_marks_kept_after_a_failure_go_out_with_the_newer_ones():
    write = Recorder(failures=1)
    write.release.clear()
    outbox = Outbox(write, retry_seconds=60)
    outbox.add(CRM, [5])
    taken_by_the_thread(outbox)
    outbox.add(CRM, [6])

    write.release.set()  # the thread's write of 5 fails; it keeps 5 and waits a minute before trying again

    assert outbox.flush()
    assert write.calls == [[5, 6]]
    assert outbox.held() == {}


def test_marks_handed_over_within_the_linger_go_out_in_one_write():
    write = Recorder()
    outbox = Outbox(write, retry_seconds=60, linger_seconds=0.5)

    for customer_id in (3, 1, 2):
        outbox.add(CRM, [customer_id])

    assert write.written.wait(10)
    assert write.calls == [[1, 2, 3]]


def test_marks_handed_over_while_the_thread_writes_go_out_together():
    write = Recorder()
    write.release.clear()
    outbox = Outbox(write, retry_seconds=0.01)
    outbox.add(CRM, [1])
    taken_by_the_thread(outbox)

    for customer_id in (2, 3, 4):
        outbox.add(CRM, [customer_id])
    write.release.set()

    assert outbox.flush()
    assert write.calls == [[1], [2, 3, 4]]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_holds_nothing_and_the_parent_writes_what_it_held():
    write = Recorder()
    write.release.clear()
    outbox = Outbox(write, retry_seconds=60)
    os.register_at_fork(after_in_child=outbox.forget)
    outbox.add(CRM, [8])
    taken_by_the_thread(outbox)
    outbox.add(CRM, [9])

    child = os.fork()
    if child == 0:
        os._exit(0 if outbox.held() == {} else 1)
    _, status = os.waitpid(child, 0)
    write.release.set()

    assert os.waitstatus_to_exitcode(status) == 0
    assert outbox.flush()
    assert write.calls == [[8], [9]]


def test_marks_handed_over_just_before_the_process_exits_are_written(tmp_path):
    written = tmp_path / "written.txt"
    script = textwrap.dedent(f"""
        import threading, time
        from crm_leadscoring.outbox import install

        def write(crm, ids):
            time.sleep(0.2)
            with open({str(written)!r}, "a") as out:
                out.write(" ".join(map(str, ids)) + "\\n")

        outbox = install(write, retry_seconds=1)
        outbox.add("crm", [1])
        time.sleep(0.05)  # the thread is writing the first mark
        outbox.add("crm", [2, 3])
    """)

    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)

    assert written.read_text().split("\n") == ["1", "2 3", ""]
