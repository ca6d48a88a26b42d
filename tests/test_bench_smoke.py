"""`python -m bench core --profile small` runs end to end and prints one complete JSON line per figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {"name", "value", "unit", "baseline", "baseline_value", "ratio", "profile"}


def run_bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.dataset
def test_the_core_benchmark_prints_a_json_line_per_figure_with_its_baseline() -> None:
    result = run_bench("core", "--profile", "small")

    assert result.returncode == 0, result.stderr[-3000:]
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f for f in figures if not set(f) >= FIELDS] == []
    assert {f["profile"] for f in figures} == {"small"}
    measured = [f for f in figures if f["value"] is not None]
    assert {"customer list: first page", "customer search: email",
            "hook overhead: create a customer, every plugin enabled"} <= {f["name"] for f in measured}
    assert all(f["baseline_value"] is not None for f in measured)
    assert all(f["note"].startswith("not measured: ") for f in figures if f["value"] is None)


def test_an_unknown_benchmark_is_refused_with_the_available_names() -> None:
    result = run_bench("nonexistent", "--profile", "small")

    assert result.returncode == 2
    assert "no benchmark named nonexistent; available: core" in result.stderr
