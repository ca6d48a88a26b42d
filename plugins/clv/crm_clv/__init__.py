"""Customer lifetime value: BG/NBD purchase counts, Gamma-Gamma spend, discounted CLV, churn.

Time is measured in weeks throughout, as in Fader, Hardie & Lee (2005).
"""

from pathlib import Path

from crm_clv import hooks, models  # noqa: F401 - models registers the tables on the shared metadata
from crm_clv.bgnbd import (
    BGNBDParams,
    conditional_expected_purchases,
    expected_purchases_new_customer,
    fit_bgnbd,
    probability_alive,
)
from crm_clv.clv import CustomerScores, discounted_expected_purchases, expected_clv, score_customers
from crm_clv.gamma_gamma import GammaGammaParams, conditional_expected_spend, fit_gamma_gamma
from crm_clv.holdout import cohort_expected_repeat_purchases, holdout_by_frequency
from crm_clv.settings import ClvSettings
from crm_clv.summary import summary_from_arrays, summary_from_records
from crmcore.plugins import Plugin

plugin = Plugin(
    name="clv",
    title="Customer lifetime value",
    version="1.0.0",
    description="What each customer is worth, who is about to leave and why customers left (BG/NBD, Gamma-Gamma).",
    hooks=hooks,
    settings=ClvSettings,
    migrations=Path(__file__).parent / "migrations",
)

__all__ = [
    "BGNBDParams",
    "CustomerScores",
    "GammaGammaParams",
    "cohort_expected_repeat_purchases",
    "conditional_expected_purchases",
    "conditional_expected_spend",
    "discounted_expected_purchases",
    "expected_clv",
    "expected_purchases_new_customer",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "holdout_by_frequency",
    "plugin",
    "probability_alive",
    "score_customers",
    "summary_from_arrays",
    "summary_from_records",
]
