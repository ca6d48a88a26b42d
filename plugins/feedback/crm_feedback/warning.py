"""Early warning of a rise in complaints: a one-sided Poisson test against each product's own baseline.

For a product, ``c`` complaints in the last 7 days are compared with the 8 weeks before. The expected
count is the baseline rate scaled by volume: baseline complaints per sale times the sales of the last 7
days (when the product has no sales in either window, the baseline is scaled by time, 7/56). Half a
complaint is added to the baseline count so that a product with no complaint so far does not get an
expected count of zero. The rise is significant when ``P(X >= c)`` for ``X ~ Poisson(expected)`` is
below the threshold (0.01 by default) and ``c`` reaches a minimum count (3 by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def poisson_sf(count: int, expected: float) -> float:
    """P(X >= count) for X ~ Poisson(expected), summed in log space."""
    if count <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    below = sum(math.exp(k * math.log(expected) - expected - math.lgamma(k + 1)) for k in range(count))
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class Check:
    complaints: int
    expected: float
    p_value: float
    flagged: bool


def check(recent: int, baseline: int, recent_volume: int, baseline_volume: int,
          threshold: float = 0.01, min_count: int = 3) -> Check:
    if recent_volume > 0 and baseline_volume > 0:
        expected = (baseline + 0.5) / baseline_volume * recent_volume
    else:
        expected = (baseline + 0.5) * 7 / 56
    p_value = poisson_sf(recent, expected)
    return Check(recent, expected, p_value, recent >= min_count and p_value < threshold)
