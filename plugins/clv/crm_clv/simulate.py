"""Synthetic transactions drawn from the BG/NBD and Gamma-Gamma models, for demos and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_clv.bgnbd import BGNBDParams
from crm_clv.gamma_gamma import GammaGammaParams
from crm_clv.summary import DAYS_PER_WEEK, DateLike


def simulate_transactions(
    n_customers: int,
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    *,
    start: DateLike,
    acquisition_weeks: float,
    observation_weeks: float,
    seed: int | None = None,
) -> pd.DataFrame:
    """Transactions ``customer_id, date, amount`` of a cohort acquired uniformly over
    ``acquisition_weeks`` from ``start`` and observed for ``observation_weeks``.

    Each customer buys at a Poisson rate lambda ~ Gamma(r, alpha) and drops out after each
    repeat purchase with probability p ~ Beta(a, b) (FHL 2005, section 2); each amount is
    Gamma(p, nu) with nu ~ Gamma(q, gamma) (Fader & Hardie 2013, note 025).
    """
    rng = np.random.default_rng(seed)
    birth = rng.uniform(0.0, acquisition_weeks, n_customers)
    rate = rng.gamma(bgnbd.r, 1.0 / bgnbd.alpha, n_customers)
    dropout = rng.beta(bgnbd.a, bgnbd.b, n_customers)
    nu = rng.gamma(gamma_gamma.q, 1.0 / gamma_gamma.gamma, n_customers)

    customers = [np.arange(n_customers)]
    times = [birth]
    active = np.arange(n_customers)
    clock = birth.copy()
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / rate[active]
        active = active[clock[active] < observation_weeks]
        customers.append(active)
        times.append(clock[active])
        active = active[rng.uniform(size=active.size) >= dropout[active]]

    customer = np.concatenate(customers)
    weeks = np.concatenate(times)
    amount = rng.gamma(gamma_gamma.p, 1.0 / nu[customer])
    days = np.floor(weeks * DAYS_PER_WEEK).astype("timedelta64[D]")
    date = np.datetime64(pd.Timestamp(start).date(), "D") + days
    order = np.lexsort((date, customer))
    return pd.DataFrame({"customer_id": customer[order], "date": date[order], "amount": amount[order]})
