"""Fitting the models on the CRM's purchases and scoring every customer with them."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select

from crm_clv.bgnbd import BGNBDParams, fit_bgnbd
from crm_clv.clv import score_customers
from crm_clv.data import PurchaseDays, load_purchase_days
from crm_clv.gamma_gamma import GammaGammaParams, fit_gamma_gamma
from crm_clv.models import ClvModel, ClvScore
from crm_clv.summary import summary_from_arrays
from crm_clv.tracking import holdout_tracking
from crm_clv.writing import upsert_scores
from crmcore.db import utcnow
from crmcore.errors import Refused, ValidationFailed

if TYPE_CHECKING:
    from crmcore.runtime import CRM

PLUGIN = "clv"


@dataclass(frozen=True)
class FitResult:
    """A stored fit: both models' parameters, the data it saw and its hold-out check."""

    model_id: int
    fitted_at: dt.datetime
    calibration_end: dt.date
    holdout_end: dt.date | None
    bgnbd: BGNBDParams
    gamma_gamma: GammaGammaParams
    customers: int
    sample_size: int
    repeat_buyers: int
    seconds: float
    tracking: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "fitted_at": self.fitted_at.isoformat(),
            "calibration_end": self.calibration_end.isoformat(),
            "holdout_end": self.holdout_end.isoformat() if self.holdout_end else None,
            "customers": self.customers,
            "sample_size": self.sample_size,
            "bgnbd": {"r": self.bgnbd.r, "alpha": self.bgnbd.alpha, "a": self.bgnbd.a, "b": self.bgnbd.b,
                      "log_likelihood": self.bgnbd.log_likelihood, "customers": self.bgnbd.n_customers},
            "gamma_gamma": {"p": self.gamma_gamma.p, "q": self.gamma_gamma.q, "gamma": self.gamma_gamma.gamma,
                            "log_likelihood": self.gamma_gamma.log_likelihood,
                            "repeat_buyers": self.gamma_gamma.n_customers},
            "seconds": round(self.seconds, 3),
            "holdout": self.tracking,
        }


@dataclass(frozen=True)
class ScoreResult:
    model_id: int
    scored_on: dt.date
    customers: int
    at_risk: int
    tasks_created: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "scored_on": self.scored_on.isoformat(), "customers": self.customers,
                "at_risk": self.at_risk, "tasks_created": self.tasks_created, "seconds": round(self.seconds, 3)}


def model_params(model: ClvModel) -> tuple[BGNBDParams, GammaGammaParams]:
    return (BGNBDParams(r=model.r, alpha=model.alpha, a=model.a, b=model.b),
            GammaGammaParams(p=model.p, q=model.q, gamma=model.gamma))


def current_model(session: Any) -> ClvModel | None:
    """The newest fit, which scoring and the screens use."""
    return session.scalars(select(ClvModel).order_by(ClvModel.id.desc()).limit(1)).first()


def _as_day(value: dt.date) -> np.datetime64:
    return np.datetime64(value, "D")


class ClvService:
    """Fit and score; jobs, the CLI and the screens all call these."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    @property
    def settings(self) -> dict[str, Any]:
        return self.crm.plugins.settings(PLUGIN)

    def default_calibration_end(self, last_purchase: dt.date) -> dt.date:
        """The newest data minus the hold-out weeks of the settings, so each fit is checked on what came after."""
        newest = min(last_purchase, dt.date.today())
        return newest - dt.timedelta(weeks=self.settings["holdout_weeks"])

    def fit(self, end: dt.date | None = None, holdout_end: dt.date | None = None, sample: int | None = None,
            seed: int | None = None) -> FitResult:
        """Fit BG/NBD and Gamma-Gamma on purchases up to ``end`` and store the model.

        ``sample`` customers drawn at random give the parameters (default: the setting
        ``fit_sample_size``); the hold-out check covers ``end`` to ``holdout_end`` (default: the newest
        purchase) on every customer.
        """
        started = time.perf_counter()
        if sample is not None and sample < 2:
            raise ValidationFailed({"sample": ["Draw at least 2 customers."]})
        purchases = load_purchase_days(self.crm)
        if not len(purchases):
            raise Refused("There are no won deals yet, so there is nothing to fit.")
        last = purchases.last_day
        end = end or self.default_calibration_end(last)
        if holdout_end is None and last > end:
            holdout_end = last
        if holdout_end is not None and holdout_end <= end:
            raise ValidationFailed({"holdout_end": ["The hold-out must end after the calibration end."]})
        summary = summary_from_arrays(purchases.customer_ids, purchases.days, purchases.amounts,
                                      calibration_end=end, holdout_end=holdout_end)
        fitted_on = self._sample(summary, sample or self.settings["fit_sample_size"], seed)
        try:
            bgnbd = fit_bgnbd(fitted_on["frequency"], fitted_on["recency"], fitted_on["T"])
            gamma_gamma = fit_gamma_gamma(fitted_on["frequency"], fitted_on["monetary_value"])
        except ValueError as exc:
            raise Refused(f"Not enough purchases up to {end.isoformat()} to fit the model: {exc}.") from exc
        tracking = None
        if holdout_end is not None:
            tracking = holdout_tracking(bgnbd, summary, purchases, _as_day(end))
        seconds = time.perf_counter() - started
        with self.crm.db.session() as session:
            model = ClvModel(
                fitted_at=utcnow(), calibration_end=end, holdout_end=holdout_end,
                r=bgnbd.r, alpha=bgnbd.alpha, a=bgnbd.a, b=bgnbd.b, bgnbd_log_likelihood=bgnbd.log_likelihood,
                p=gamma_gamma.p, q=gamma_gamma.q, gamma=gamma_gamma.gamma,
                gamma_gamma_log_likelihood=gamma_gamma.log_likelihood,
                customers=len(summary), sample_size=len(fitted_on), repeat_buyers=gamma_gamma.n_customers,
                seconds=seconds, tracking=tracking,
            )
            session.add(model)
            session.flush()
            model_id, fitted_at = model.id, model.fitted_at
        return FitResult(model_id=model_id, fitted_at=fitted_at, calibration_end=end, holdout_end=holdout_end,
                         bgnbd=bgnbd, gamma_gamma=gamma_gamma, customers=len(summary), sample_size=len(fitted_on),
                         repeat_buyers=gamma_gamma.n_customers, seconds=seconds, tracking=tracking)

    @staticmethod
    def _sample(summary: pd.DataFrame, size: int, seed: int | None) -> pd.DataFrame:
        if size >= len(summary):
            return summary
        rng = np.random.default_rng(seed)
        return summary.iloc[np.sort(rng.choice(len(summary), size=size, replace=False))]

    def score(self, as_of: dt.date | None = None) -> ScoreResult:
        """Score every customer who ever bought with the current model, as of ``as_of`` (default today)."""
        started = time.perf_counter()
        as_of = as_of or dt.date.today()
        with self.crm.db.session() as session:
            model = current_model(session)
        if model is None:
            raise Refused("No model has been fitted yet; run `crm clv fit` first.")
        purchases = load_purchase_days(self.crm, until=as_of)
        frame = self.score_frame(model, purchases, as_of)
        scored_at = utcnow()
        upsert_scores(self.crm, frame, model_id=model.id, scored_on=as_of, scored_at=scored_at)
        with self.crm.db.session() as session:
            session.execute(delete(ClvScore).where(ClvScore.scored_at != scored_at))
        at_risk = int((frame["p_alive"] < self.settings["at_risk_threshold"]).sum())
        tasks = 0
        if self.settings["create_tasks"]:
            from crm_clv.churn import create_at_risk_tasks

            tasks = create_at_risk_tasks(self.crm)
        return ScoreResult(model_id=model.id, scored_on=as_of, customers=len(frame), at_risk=at_risk,
                           tasks_created=tasks, seconds=time.perf_counter() - started)

    def score_frame(self, model: ClvModel, purchases: PurchaseDays, as_of: dt.date) -> pd.DataFrame:
        """Every buyer's summary and scores as of ``as_of``, vectorised; one row per customer id."""
        summary = summary_from_arrays(purchases.customer_ids, purchases.days, purchases.amounts,
                                      calibration_end=as_of)
        bgnbd, gamma_gamma = model_params(model)
        s = self.settings
        scores = score_customers(
            bgnbd, gamma_gamma, summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"],
            purchase_horizon_days=s["purchase_horizon_days"], clv_horizon=s["clv_horizon_months"],
            clv_period="month", annual_discount_rate=s["annual_discount_rate"], margin=s["margin"],
        )
        revenue = pd.Series(purchases.amounts).groupby(purchases.customer_ids).sum()
        summary["revenue"] = revenue.reindex(summary.index).to_numpy()
        summary["p_alive"] = scores.p_alive
        summary["expected_purchases"] = scores.expected_purchases
        summary["clv"] = scores.clv
        return summary
