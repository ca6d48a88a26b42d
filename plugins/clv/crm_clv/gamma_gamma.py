"""Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value", note 025).

Transaction values of a customer are Gamma(p, nu) distributed, nu ~ Gamma(q, gamma) across
customers. A customer is summarised by the number of repeat transactions ``x`` and their
mean value ``zbar``; only repeat buyers (x > 0) carry information about spend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters and the maximised log-likelihood."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    converged: bool = True

    @property
    def population_mean_spend(self) -> float:
        """E[Z] = p gamma / (q - 1), the mean spend of a customer with no history (q > 1)."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")


def _individual_log_likelihood(p: float, q: float, gamma: float, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Log-density of zbar given x, with nu integrated out (note 025)."""
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + px * np.log(x)
        + (px - 1.0) * np.log(zbar)
        - (px + q) * np.log(gamma + x * zbar)
    )


def _repeat_buyers(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, zbar = np.broadcast_arrays(np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float))
    keep = (x > 0) & (zbar > 0)
    return x[keep], zbar[keep]


def log_likelihood(params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike) -> float:
    """Total Gamma-Gamma log-likelihood over customers with x > 0 and positive mean spend."""
    x, zbar = _repeat_buyers(frequency, monetary_value)
    return float(np.sum(_individual_log_likelihood(params.p, params.q, params.gamma, x, zbar)))


def _negative_log_likelihood_and_gradient(
    log_params: np.ndarray, x: np.ndarray, zbar: np.ndarray
) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its gradient in log(p, q, gamma)."""
    p, q, gamma = np.exp(log_params)
    ll = _individual_log_likelihood(p, q, gamma, x, zbar)
    total = float(np.sum(ll))
    if not np.isfinite(total):
        return 1e300, np.zeros(3)
    psi = special.digamma
    px = p * x
    log_spend = np.log(gamma + x * zbar)
    psi_sum = psi(px + q)
    d_p = np.sum(x * (psi_sum - psi(px) + np.log(x) + np.log(zbar) - log_spend))
    d_q = np.sum(psi_sum - log_spend) + x.size * (np.log(gamma) - psi(q))
    d_gamma = x.size * q / gamma - np.sum((px + q) / (gamma + x * zbar))
    grad = np.array([d_p * p, d_q * q, d_gamma * gamma])
    return -total / x.size, -grad / x.size


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaParams:
    """Maximum-likelihood fit of (p, q, gamma) on repeat buyers, over their logarithms.

    Customers with x = 0 (or a non-positive mean repeat spend) are left out, as in note 025.
    """
    x, zbar = _repeat_buyers(frequency, monetary_value)
    if x.size < 2:
        raise ValueError("the Gamma-Gamma fit needs at least two repeat buyers")
    n = x.size

    start = np.log([1.0, 2.0, float(np.mean(zbar))])
    bounds = [(-20.0, 20.0)] * 3
    result = optimize.minimize(
        _negative_log_likelihood_and_gradient,
        start,
        args=(x, zbar),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
    )
    if not result.success:
        polished = optimize.minimize(
            lambda theta: _negative_log_likelihood_and_gradient(theta, x, zbar)[0],
            result.x,
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20000},
        )
        if polished.fun <= result.fun:
            result = polished
    p, q, gamma = (float(v) for v in np.exp(result.x))
    return GammaGammaParams(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=-float(result.fun) * n,
        n_customers=n,
        converged=bool(result.success),
    )


def conditional_expected_spend(params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
    """E[Z | x, zbar] = p (gamma + x zbar) / (p x + q - 1) (note 025).

    A weighted mean of the population mean p gamma / (q - 1) and the observed zbar; for
    x = 0 it is the population mean.
    """
    x, zbar = np.broadcast_arrays(np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float))
    zbar = np.where(x > 0, zbar, 0.0)
    p, q, gamma = params.p, params.q, params.gamma
    return p * (gamma + x * zbar) / (p * x + q - 1.0)
