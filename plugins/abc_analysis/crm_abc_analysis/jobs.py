"""Background jobs of the ABC analysis."""

from __future__ import annotations

from typing import Any

from crm_abc_analysis.services import RunRequest, run_analysis, run_as_dict


def run_scheduled(crm: Any, basis: str | None = None) -> dict[str, Any]:
    """Re-run the analysis over the trailing period (the monthly schedule and the screen's "Run now")."""
    return run_as_dict(run_analysis(crm, RunRequest(basis=basis)))
