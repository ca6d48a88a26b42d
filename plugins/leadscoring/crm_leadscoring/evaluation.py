"""Held-out evaluation of the lead-scoring models on real data (CoIL 2000 / ISLR ``Caravan``).

The data set lives outside the project, in ``shared/data/leads/`` next to the repository
(see the README there): 5,822 customers, 85 numeric socio-demographic and product-ownership
attributes, label ``Purchase`` (Yes/No). It stands in for a lead history: did the contact
buy (won) or not (lost).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crm_leadscoring.predictive import ModelKind, stratified_split, train

COIL_FILE = Path("leads") / "caravan_tic_coil2000.csv"
LABEL = "Purchase"


def default_data_dir() -> Path:
    """``shared/data`` beside the repository that holds this plugin (source checkout)."""
    return Path(__file__).resolve().parents[4] / "shared" / "data"


def load_coil2000(data_dir: Path | None = None) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.bool_]]:
    """Attribute columns (name -> float array) and the label (``Purchase == "Yes"``)."""
    path = (data_dir or default_data_dir()) / COIL_FILE
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records = list(reader)
    label_at = header.index(LABEL)
    labels = np.array([r[label_at] == "Yes" for r in records], dtype=bool)
    columns = {
        name: np.array([float(r[i]) for r in records], dtype=np.float64)
        for i, name in enumerate(header)
        if i != label_at
    }
    return columns, labels


def bench_leads_auc(
    data_dir: Path | None = None,
    *,
    seed: int = 0,
    test_fraction: float = 0.25,
    l2: float = 1.0,
) -> dict[str, dict[str, Any] | None]:
    """Held-out AUC of our logistic regression and naive Bayes vs scikit-learn's LogisticRegression.

    All three use the same stratified split (``stratified_split(labels, test_fraction, seed)``)
    and the 85 attributes as standardised numeric features; scikit-learn gets the same L2
    strength (``C = 1 / l2``). Returns ``{"ours": {...}, "naive_bayes": {...}, "sklearn":
    {...} or None}``, each with ``auc``, ``n_leads``, ``n_train``, ``n_test``, ``seconds``;
    ``"sklearn"`` is ``None`` when scikit-learn is not installed.
    """
    columns, labels = load_coil2000(data_dir)
    n_leads = int(labels.size)
    results: dict[str, dict[str, Any] | None] = {}

    runs: tuple[tuple[str, ModelKind], ...] = (("ours", "logistic"), ("naive_bayes", "naive_bayes"))
    for key, kind in runs:
        start = time.perf_counter()
        model = train(
            columns,
            labels,
            kind=kind,
            test_fraction=test_fraction,
            seed=seed,
            numeric=list(columns),
            l2=l2,
            refit=False,
        )
        results[key] = {
            "model": kind,
            "auc": model.auc,
            "n_leads": model.n_leads,
            "n_train": model.n_train,
            "n_test": model.n_test,
            "seconds": time.perf_counter() - start,
        }

    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        results["sklearn"] = None
        return results

    train_idx, test_idx = stratified_split(labels, test_fraction, seed)
    X = np.column_stack(list(columns.values()))
    start = time.perf_counter()
    baseline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0 / l2, max_iter=5000))
    baseline.fit(X[train_idx], labels[train_idx])
    scores = baseline.decision_function(X[test_idx])
    results["sklearn"] = {
        "model": "sklearn LogisticRegression",
        "auc": float(roc_auc_score(labels[test_idx], scores)),
        "n_leads": n_leads,
        "n_train": int(train_idx.size),
        "n_test": int(test_idx.size),
        "seconds": time.perf_counter() - start,
    }
    return results
