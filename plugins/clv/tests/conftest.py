"""Shared fixtures: the CDNOW sample (through the core's ``shared_data``) and CRMs with purchases."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from sqlalchemy import insert, select

from crmcore.config import REPO_ROOT

if TYPE_CHECKING:
    from crm_clv.bgnbd import BGNBDParams
    from crm_clv.gamma_gamma import GammaGammaParams

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


@pytest.fixture(scope="session")
def lifetimes_data(shared_data: Path) -> Path:
    """The lifetimes data sets (CDNOW sample and its published summaries); missing data is a failure."""
    folder = shared_data / "lifetimes"
    missing = [name for name in ("CDNOW_sample.txt", "cdnow_customers_summary.csv",
                                 "cdnow_customers_summary_with_transactions.csv") if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"lifetimes data set incomplete, missing: {', '.join(missing)}")
    return folder


@pytest.fixture(scope="session")
def cdnow_transactions(lifetimes_data: Path) -> pd.DataFrame:
    """CDNOW_sample.txt: master id, sample id, date YYYYMMDD, CDs, dollars; no header."""
    frame = pd.read_csv(
        lifetimes_data / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "dollars"],
        dtype={"date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    """Our summary of the sample: 39 calibration weeks, then a 39-week hold-out."""
    from crm_clv.summary import summary_from_arrays

    return summary_from_arrays(
        cdnow_transactions["customer_id"].to_numpy(),
        cdnow_transactions["date"].to_numpy(),
        cdnow_transactions["dollars"].to_numpy(),
        calibration_end=CALIBRATION_END,
        holdout_end=HOLDOUT_END,
    )


@pytest.fixture(scope="session")
def published_summary(lifetimes_data: Path) -> pd.DataFrame:
    """cdnow_customers_summary.csv: ID, frequency, recency, T (weeks, rounded to 2 decimals)."""
    return pd.read_csv(lifetimes_data / "cdnow_customers_summary.csv", index_col="ID")


@pytest.fixture(scope="session")
def published_zbar(lifetimes_data: Path) -> pd.DataFrame:
    """cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T, zbar."""
    return pd.read_csv(lifetimes_data / "cdnow_customers_summary_with_transactions.csv", index_col="ID")


@pytest.fixture(scope="session")
def bgnbd(cdnow_summary: pd.DataFrame) -> BGNBDParams:
    from crm_clv.bgnbd import fit_bgnbd

    return fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])


@pytest.fixture(scope="session")
def gamma_gamma(cdnow_summary: pd.DataFrame) -> GammaGammaParams:
    from crm_clv.gamma_gamma import fit_gamma_gamma

    return fit_gamma_gamma(cdnow_summary["frequency"], cdnow_summary["monetary_value"])


# -- CRMs with purchases --------------------------------------------------------------------------------------


@pytest.fixture
def clv_crm(crm_factory: Callable[..., Any]) -> Any:
    """A CRM with every installed plugin and clv enabled."""
    return crm_factory(enabled=["clv"])


@pytest.fixture
def customer(clv_crm: Any) -> Callable[..., int]:
    """``customer("Name", **fields)`` creates a customer through the customer service and returns its id."""

    def create(name: str, **fields: Any) -> int:
        return clv_crm.services.customers.create({"name": name, "lifecycle_stage": "customer", **fields}).id

    return create


@pytest.fixture
def buy(clv_crm: Any) -> Callable[..., int]:
    """``buy(customer_id, "2024-01-05", 30)`` records a purchase (a won deal; negative: a refund)."""

    def record(customer_id: int, day: str, amount: float) -> int:
        return clv_crm.services.deals.create({"customer_id": customer_id, "title": "Purchase", "status": "won",
                                              "amount": str(amount), "closed_on": day}).id

    return record


def insert_simulated_purchases(crm: Any, transactions: pd.DataFrame, owner_id: int | None = None) -> list[int]:
    """Customers and their won deals from simulated transactions, written in bulk; returns the customer ids.

    Simulated customer ``k`` becomes the ``k``-th id of the list.
    """
    from crmcore.models import Customer, Deal, DealStatus, LifecycleStage, Stage

    simulated = sorted(set(transactions["customer_id"].tolist()))
    with crm.db.session() as session:
        stage = session.scalars(select(Stage).where(Stage.is_won.is_(True)).limit(1)).one()
        customers = [Customer(name=f"Simulated {k}", lifecycle_stage=LifecycleStage.CUSTOMER, owner_id=owner_id)
                     for k in simulated]
        session.add_all(customers)
        session.flush()
        ids = {k: c.id for k, c in zip(simulated, customers, strict=True)}
        session.execute(insert(Deal), [
            {"customer_id": ids[k], "pipeline_id": stage.pipeline_id, "stage_id": stage.id, "title": "Purchase",
             "amount": Decimal(f"{amount:.2f}"), "status": DealStatus.WON, "closed_on": day.date(),
             "version": 1}
            for k, day, amount in zip(transactions["customer_id"], pd.to_datetime(transactions["date"]),
                                      transactions["amount"], strict=True)
        ])
    return [ids[k] for k in simulated]


@pytest.fixture
def simulated_shop(clv_crm: Any) -> list[int]:
    """500 customers buying through 2024 the way the CDNOW customers did (published BG/NBD and Gamma-Gamma)."""
    from crm_clv.bgnbd import BGNBDParams
    from crm_clv.gamma_gamma import GammaGammaParams
    from crm_clv.simulate import simulate_transactions

    transactions = simulate_transactions(
        500, BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426), GammaGammaParams(p=6.25, q=3.74, gamma=15.44),
        start="2024-01-01", acquisition_weeks=12, observation_weeks=52, seed=5,
    )
    return insert_simulated_purchases(clv_crm, transactions)


@pytest.fixture
def run_crm(crm_settings: Any) -> Callable[..., subprocess.CompletedProcess]:
    """Run the ``crm`` command in a real process against the test database."""
    env = {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "CRM_REDIS_URL": crm_settings.redis_url,
           "CRM_REDIS_PREFIX": crm_settings.redis_prefix, "PYTHONPATH": str(REPO_ROOT)}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "crmcore.cli", *args], env=env, cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=600)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


@pytest.fixture
def published_model(clv_crm: Any) -> int:
    """The CDNOW fits of FHL (2005) and note 025 stored as the model in use; returns its id."""
    from crm_clv.models import ClvModel

    with clv_crm.db.session() as session:
        model = ClvModel(calibration_end=dt.date(2024, 12, 31), r=0.243, alpha=4.414, a=0.793, b=2.426,
                         bgnbd_log_likelihood=-9582.4, p=6.25, q=3.74, gamma=15.44,
                         gamma_gamma_log_likelihood=-4055.92, customers=2357, sample_size=2357, repeat_buyers=946)
        session.add(model)
        session.flush()
        return model.id


SCORED_ON = dt.date(2025, 1, 1)


@pytest.fixture
def shop(clv_crm: Any, customer: Callable[..., int], buy: Callable[..., int], published_model: int,
         make_user: Callable[..., Any]) -> dict[str, int]:
    """Four customers scored on 2025-01-01 with the published model.

    ``loyal`` bought every month of 2024; ``slipping`` (owned by staff ``owner``) bought five times early in
    2024 and then stopped; ``big_spender`` bought three times for 2,000 in January 2024 and stopped; ``once``
    bought once in December 2024.
    """
    owner = make_user("staff", name="Olga Owner")
    ids = {"loyal": customer("Loyal Ltd"), "slipping": customer("Slipping Ltd", owner_id=owner.id),
           "big_spender": customer("Big Spender Ltd"), "once": customer("Once Ltd"), "owner": owner.id}
    for month in range(1, 13):
        buy(ids["loyal"], f"2024-{month:02d}-15", 50)
    for day in ("2024-01-05", "2024-01-12", "2024-01-19", "2024-01-26", "2024-02-02"):
        buy(ids["slipping"], day, 40)
    for day in ("2024-01-03", "2024-01-10", "2024-01-20"):
        buy(ids["big_spender"], day, 2000)
    buy(ids["once"], "2024-12-10", 80)
    from crm_clv.service import ClvService

    ClvService(clv_crm).score(as_of=SCORED_ON)
    return ids
