from __future__ import annotations

import itertools

import numpy as np
import pytest
from crm_leadscoring.auc import roc_auc


def _pairwise_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    pos = scores[labels.astype(bool)]
    neg = scores[~labels.astype(bool)]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (pos.size * neg.size)


def test_known_value() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_perfect_and_reversed_ranking() -> None:
    assert roc_auc([0, 0, 1, 1], [1, 2, 3, 4]) == 1.0
    assert roc_auc([0, 0, 1, 1], [4, 3, 2, 1]) == 0.0


def test_ties_count_one_half() -> None:
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    # pairs (pos, neg): (0.5, 0.5) tie, (0.5, 0.2) win, (0.9, 0.5) win, (0.9, 0.2) win -> 3.5 / 4
    assert roc_auc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.2]) == pytest.approx(0.875)


def test_matches_pairwise_count_with_many_ties() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300)
    scores = rng.integers(0, 6, 300).astype(float)
    assert roc_auc(labels, scores) == pytest.approx(_pairwise_auc(labels, scores), abs=1e-12)


def test_one_class_only_is_an_error() -> None:
    with pytest.raises(ValueError, match="positive and one negative"):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])
