"""Marks on their way to Redis: the request hands them over and returns, a thread of the process writes them.

The thread starts with the first mark. Woken by a mark, it waits ``linger_seconds`` for more and writes what it
holds then, one round trip per CRM, so a busy process writes each round of marks together instead of paying a
round trip for each change. What it holds lives only in this process, so it is written when the process exits,
kept for another try when writing fails, and dropped in a forked child (the parent writes it).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmcore.runtime import CRM

log = logging.getLogger(__name__)
Write = Callable[["CRM", list[int]], None]


class Outbox:
    def __init__(self, write: Write, retry_seconds: float, linger_seconds: float = 0.0) -> None:
        self._write = write
        self._retry_seconds = retry_seconds
        self._linger_seconds = linger_seconds
        self._start()

    def _start(self) -> None:
        self._lock = threading.Lock()
        self._handed_over = threading.Condition(self._lock)
        self._writing = threading.Lock()
        self._held: dict[CRM, set[int]] = {}
        self._thread: threading.Thread | None = None

    def add(self, crm: CRM, customer_ids: Iterable[int]) -> None:
        with self._handed_over:
            was_empty = not self._held
            self._held.setdefault(crm, set()).update(customer_ids)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="leadscoring-marks", daemon=True)
                self._thread.start()
            if was_empty:  # otherwise the thread is already on its way to write
                self._handed_over.notify()

    def held(self) -> dict[CRM, list[int]]:
        """What waits to be written, per CRM."""
        with self._lock:
            return {crm: sorted(ids) for crm, ids in self._held.items()}

    def flush(self) -> bool:
        """Write everything handed over so far, including what the thread is writing now; False if some of it
        could not be written (it stays held for the next try)."""
        with self._writing:
            return self._write_out(self._take())

    def forget(self) -> None:
        """Drop what is held and start afresh, as a forked child must (its parent writes what it holds)."""
        self._start()

    def _take(self) -> dict[CRM, set[int]]:
        with self._lock:
            taken, self._held = self._held, {}
        return taken

    def _write_out(self, taken: dict[CRM, set[int]]) -> bool:
        written = True
        for crm, ids in taken.items():
            try:
                self._write(crm, sorted(ids))
            except Exception:
                log.exception("lead scoring marks could not be written; they are kept for another try")
                with self._lock:
                    self._held.setdefault(crm, set()).update(ids)
                written = False
        return written

    def _run(self) -> None:
        while True:
            with self._handed_over:
                while not self._held:
                    self._handed_over.wait()
            time.sleep(self._linger_seconds)
            if not self.flush():
                time.sleep(self._retry_seconds)


def install(write: Write, retry_seconds: float, linger_seconds: float = 0.0) -> Outbox:
    """The process's outbox: written out at exit, emptied in forked children."""
    outbox = Outbox(write, retry_seconds, linger_seconds)
    atexit.register(outbox.flush)
    os.register_at_fork(after_in_child=outbox.forget)
    return outbox
