"""Held-out evaluation on the real CoIL 2000 insurance data (ISLR ``Caravan``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from crm_leadscoring.evaluation import bench_leads_auc, load_coil2000
from crm_leadscoring.predictive import stratified_split, train

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def results(shared_data: Path) -> dict:
    return bench_leads_auc(shared_data, seed=0)


def test_data_matches_its_readme(shared_data: Path) -> None:
    columns, purchased = load_coil2000(shared_data)
    assert len(columns) == 85
    assert purchased.size == 5822
    assert int(purchased.sum()) == 348


def test_logistic_regression_beats_chance_clearly(results: dict) -> None:
    assert results["ours"]["auc"] > 0.70
    assert results["ours"]["n_leads"] == 5822


def test_logistic_regression_matches_sklearn(results: dict) -> None:
    assert results["sklearn"] is not None
    assert results["ours"]["n_test"] == results["sklearn"]["n_test"]
    assert abs(results["ours"]["auc"] - results["sklearn"]["auc"]) < 0.02


def test_same_probabilities_as_sklearn(shared_data: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    columns, purchased = load_coil2000(shared_data)
    train_idx, test_idx = stratified_split(purchased, 0.25, seed=0)
    ours = train(columns, purchased, numeric=list(columns), seed=0, refit=False)
    X = np.column_stack(list(columns.values()))
    scaler = StandardScaler().fit(X[train_idx])
    reference = LogisticRegression(C=1.0, tol=1e-6, max_iter=10_000).fit(
        scaler.transform(X[train_idx]), purchased[train_idx]
    )
    held_out = {name: col[test_idx] for name, col in columns.items()}
    expected = reference.predict_proba(scaler.transform(X[test_idx]))[:, 1]
    np.testing.assert_allclose(ours.predict_proba(held_out), expected, atol=2e-3)


def test_naive_bayes_ranks_better_than_chance(results: dict) -> None:
    assert results["naive_bayes"]["auc"] > 0.65
