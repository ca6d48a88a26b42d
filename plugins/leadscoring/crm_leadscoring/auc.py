"""Area under the ROC curve from ranks (the Mann-Whitney U statistic).

AUC is the probability that a randomly chosen positive scores higher than a randomly
chosen negative, counting ties as one half. Ranking all scores once with average ranks for
ties gives exactly that count in O(n log n): U = (sum of positive ranks) - n1 (n1 + 1) / 2
and AUC = U / (n1 n0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata


def roc_auc(labels: ArrayLike | Sequence[bool], scores: ArrayLike) -> float:
    """ROC AUC of ``scores`` for binary ``labels`` (truthy = positive), ties counted half.

    Raises ``ValueError`` when the lengths differ, a score is NaN, or either class is empty
    (AUC is undefined then).
    """
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=float)
    if y.ndim != 1 or s.ndim != 1 or y.shape != s.shape:
        raise ValueError("labels and scores must be 1-D and of the same length")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    positive = y.astype(bool)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs at least one positive and one negative label")
    ranks = rankdata(s, method="average")
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)
