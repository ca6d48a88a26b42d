"""BG/NBD purchase-count model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While active, a customer buys at a Poisson rate lambda ~ Gamma(r, alpha); after every
purchase the customer drops out with probability p ~ Beta(a, b). A customer is summarised
by ``x`` (repeat purchases), ``t_x`` (time of the last purchase) and ``T`` (age), all
measured from the first purchase, in any time unit used consistently (weeks here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters and the maximised log-likelihood."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    converged: bool = True


def _as_arrays(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, age = np.broadcast_arrays(
        np.asarray(frequency, dtype=float),
        np.asarray(recency, dtype=float),
        np.asarray(T, dtype=float),
    )
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > age):
        raise ValueError("need frequency >= 0 and 0 <= recency <= T")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 when frequency is 0")
    return x, t_x, age


def _log_dropout_term(a: float, b: float, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(a / (b + x - 1)) where x > 0, and the mask of repeat buyers."""
    repeat = x > 0
    safe = np.where(repeat, b + x - 1.0, 1.0)
    return np.log(a) - np.log(safe), repeat


def _log_likelihood_terms(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of FHL (2005) eq. 6 on the log scale: ll = head + logaddexp(a3, a4).

    a3 is the term of a customer still alive at T, a4 (x > 0 only) of one who dropped out
    right after the last purchase at t_x.
    """
    head = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
    )
    a3 = -(r + x) * np.log(alpha + T)
    log_drop, repeat = _log_dropout_term(a, b, x)
    a4 = np.where(repeat, log_drop - (r + x) * np.log(alpha + t_x), -np.inf)
    return head, a3, a4


def log_likelihood(
    params: BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total BG/NBD log-likelihood (FHL 2005, eq. 6), optionally with customer weights."""
    x, t_x, age = _as_arrays(frequency, recency, T)
    head, a3, a4 = _log_likelihood_terms(params.r, params.alpha, params.a, params.b, x, t_x, age)
    ll = head + np.logaddexp(a3, a4)
    w = np.ones_like(ll) if weights is None else np.asarray(weights, dtype=float)
    return float(np.sum(w * ll))


def _negative_log_likelihood_and_gradient(
    log_params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    w: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Weighted mean negative log-likelihood and its gradient in log(r, alpha, a, b)."""
    r, alpha, a, b = np.exp(log_params)
    head, a3, a4 = _log_likelihood_terms(r, alpha, a, b, x, t_x, T)
    tail = np.logaddexp(a3, a4)
    total = float(np.dot(w, head + tail))
    if not np.isfinite(total):
        return 1e300, np.zeros(4)
    psi = special.digamma
    w4 = np.exp(a4 - tail)
    w3 = 1.0 - w4
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + t_x)
    d_r = psi(r + x) - psi(r) + np.log(alpha) - w3 * log_alpha_T - w4 * log_alpha_tx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    common = psi(a + b) - psi(a + b + x)
    d_a = common + w4 / a
    d_b = common + psi(b + x) - psi(b) - w4 / np.where(x > 0, b + x - 1.0, 1.0)
    grad = np.array([np.dot(w, d) for d in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    scale = float(np.sum(w))
    return -total / scale, -grad / scale


def _compress(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge identical (x, t_x, T) rows, adding their weights."""
    x, t_x, T, weights = (np.ravel(v) for v in (x, t_x, T, weights))
    order = np.lexsort((T, t_x, x))
    x, t_x, T, weights = x[order], t_x[order], T[order], weights[order]
    first = np.ones(x.shape, dtype=bool)
    first[1:] = (x[1:] != x[:-1]) | (t_x[1:] != t_x[:-1]) | (T[1:] != T[:-1])
    starts = np.flatnonzero(first)
    return x[starts], t_x[starts], T[starts], np.add.reduceat(weights, starts)


def _starting_point(x: np.ndarray, T: np.ndarray, w: np.ndarray) -> np.ndarray:
    """log(r, alpha, a, b) with r = 1 and alpha matching the mean purchase rate."""
    rate = np.sum(w * x) / max(np.sum(w * T), np.finfo(float).tiny)
    alpha = 1.0 / rate if rate > 0 else max(float(np.average(T, weights=w)), 1.0)
    return np.log([1.0, alpha, 1.0, 1.0])


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> BGNBDParams:
    """Maximum-likelihood fit of (r, alpha, a, b) (FHL 2005, eq. 6), over their logarithms.

    Identical customers are merged first, so the cost depends on the number of distinct
    (x, t_x, T) triples rather than on the number of customers; the optimiser uses the
    analytic gradient.
    """
    x, t_x, age = _as_arrays(frequency, recency, T)
    w = np.ones(x.shape) if weights is None else np.broadcast_to(np.asarray(weights, dtype=float), x.shape)
    if x.size == 0 or not np.any(x > 0):
        raise ValueError("the BG/NBD fit needs at least one repeat purchase")
    x, t_x, age, w = _compress(x, t_x, age, w)
    total_weight = float(np.sum(w))
    args = (x, t_x, age, w)

    start = _starting_point(x, age, w)
    bounds = [(-20.0, 20.0)] * 4
    result = optimize.minimize(
        _negative_log_likelihood_and_gradient,
        start,
        args=args,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
    )
    if not result.success:
        polished = optimize.minimize(
            lambda theta: _negative_log_likelihood_and_gradient(theta, *args)[0],
            result.x,
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20000},
        )
        if polished.fun <= result.fun:
            result = polished
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BGNBDParams(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=-float(result.fun) * total_weight,
        n_customers=round(total_weight),
        converged=bool(result.success),
    )


def _one_minus_scaled_hyp2f1(params: BGNBDParams, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """1 - (1 - z)^(r + x) 2F1(r + x, b + x; a + b + x - 1; z), via Euler's transformation.

    Euler: 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z), which turns the
    expression into 1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), whose
    parameters no longer grow with x, so it stays accurate for heavy buyers.
    """
    r, a, b = params.r, params.a, params.b
    hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    return (1.0 - hyp) - np.expm1((a - 1.0) * np.log1p(-z)) * hyp


def expected_purchases_new_customer(params: BGNBDParams, t: ArrayLike) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in (0, t] after a first purchase (FHL 2005, eq. 9)."""
    time = np.asarray(t, dtype=float)
    if np.any(time < 0):
        raise ValueError("t must not be negative")
    zeros = np.zeros_like(time)
    return _expected_if_alive(params, time, zeros, zeros)


def _alive(params: BGNBDParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive) as 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)), 1 when x = 0."""
    log_drop, repeat = _log_dropout_term(params.a, params.b, x)
    log_odds = log_drop + (params.r + x) * (np.log(params.alpha + T) - np.log(params.alpha + t_x))
    return np.where(repeat, special.expit(-log_odds), 1.0)


def _expected_if_alive(params: BGNBDParams, t: np.ndarray | float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The numerator of FHL (2005) eq. 10: expected purchases in the next t, given alive."""
    a, b = params.a, params.b
    z = t / (params.alpha + T + t)
    return (a + b + x - 1.0) / (a - 1.0) * _one_minus_scaled_hyp2f1(params, x, z)


def probability_alive(params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive | x, t_x, T), 1 for customers with no repeat purchase.

    Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model".
    """
    x, t_x, age = _as_arrays(frequency, recency, T)
    return _alive(params, x, t_x, age)


def conditional_expected_purchases(
    params: BGNBDParams,
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units (FHL 2005, eq. 10)."""
    x, t_x, age = _as_arrays(frequency, recency, T)
    time = np.asarray(t, dtype=float)
    return _expected_if_alive(params, time, x, age) * _alive(params, x, t_x, age)
