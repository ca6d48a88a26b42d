"""Background jobs: rescoring the leads events marked, nightly bulk rescoring and the periodic retraining."""

from __future__ import annotations

from typing import Any

from crm_leadscoring.pending import rescore_pending
from crm_leadscoring.services import rescore_all, train_model


def rescore_pending_job(crm: Any) -> dict[str, int]:
    return rescore_pending(crm)


def rescore_all_job(crm: Any) -> dict[str, int]:
    return {"scored": rescore_all(crm)}


def train_job(crm: Any) -> dict[str, Any]:
    """Retrain from the won/lost history, then rescore every lead with the new model (or the rules)."""
    status = train_model(crm)
    status["scored"] = rescore_all(crm)
    return status
