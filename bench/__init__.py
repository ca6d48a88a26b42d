"""Benchmarks at scale: each module ``bench/<topic>.py`` has ``run(profile) -> list[dict]``.

Every figure is measured against a baseline in the same run, so the ratio holds on any machine. Helpers here
are shared by every benchmark module: the profiles, the CRM on a profile's data set, timing and the figure dict.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PROFILES = ("pg-1m", "sqlite-100k", "small")
DEFAULT_PROFILE = "sqlite-100k"


class BenchmarkError(RuntimeError):
    """A benchmark could not run (missing service, broken data set); the runner prints it and exits non-zero."""


def figure(name: str, value: float | None, unit: str, baseline: str, baseline_value: float | None,
           **extra: Any) -> dict[str, Any]:
    """One figure. ``ratio`` is value / baseline_value (how many times the baseline it costs)."""
    ratio = None
    if value is not None and baseline_value:
        ratio = float(f"{value / baseline_value:.3g}")
    return {"name": name, "value": _round(value), "unit": unit, "baseline": baseline,
            "baseline_value": _round(baseline_value), "ratio": ratio, **extra}


def not_measured(name: str, unit: str, baseline: str, reason: str) -> dict[str, Any]:
    """A figure that could not be measured on this machine, with the reason (e.g. a missing tool)."""
    return figure(name, None, unit, baseline, None, note=f"not measured: {reason}")


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 3) if abs(value) < 100 else round(value, 1)


def median_ms(action: Callable[[], Any], repeat: int = 15, warmup: int = 2) -> float:
    """The median wall time of ``action`` in milliseconds, after a few warm-up calls (caches, pools, JIT of
    query plans) so that the figure is the steady state a user meets."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


@contextmanager
def count_queries(engine: Any) -> Iterator[list[str]]:
    """Collect the SQL statements an engine runs inside the block (an engine event listener)."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
