"""Background jobs: refit the models and rescore every customer (queued or scheduled)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_clv.service import ClvService

if TYPE_CHECKING:
    from crmcore.runtime import CRM


def fit_job(crm: CRM, sample: int | None = None) -> dict[str, Any]:
    """Refit on a random sample, ending ``holdout_weeks`` ago so the fit is checked on what came after."""
    result = ClvService(crm).fit(sample=sample).to_dict()
    result.pop("holdout", None)
    return result


def score_job(crm: CRM) -> dict[str, Any]:
    """Score every customer who bought with the newest model (and create at-risk tasks when set)."""
    return ClvService(crm).score().to_dict()


def fit_and_score_job(crm: CRM) -> dict[str, Any]:
    return {"fit": fit_job(crm), "score": score_job(crm)}
