from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest
from crm_leadscoring.predictive import (
    InsufficientHistory,
    LeadScoringModel,
    check_history,
    infer_field_types,
    stratified_split,
    train,
)

COUNTRIES = np.array(["IR", "DE", "FR", "TR", "AE"])
SOURCES = np.array(["web", "fair", "partner", "cold call"])


def synthetic_leads(n: int, seed: int = 1) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Leads whose outcome follows a known logistic model, with a correlated pair of fields."""
    rng = np.random.default_rng(seed)
    country = COUNTRIES[rng.integers(0, COUNTRIES.size, n)]
    source = SOURCES[rng.integers(0, SOURCES.size, n)]
    visits = rng.poisson(4, n).astype(float)
    minutes = visits * 3 + rng.normal(0, 1, n)
    budget = rng.lognormal(9, 1, n)
    logit = (
        -1.0
        + 1.2 * (source == "fair")
        - 1.0 * (source == "cold call")
        + 0.8 * (country == "DE")
        + 0.35 * (visits - 4)
        + 0.4 * (np.log(budget) - 9)
    )
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    return {"country": country, "source": source, "visits": visits, "minutes": minutes, "budget": budget}, won


def as_records(columns: dict[str, np.ndarray]) -> list[dict[str, object]]:
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*(columns[c].tolist() for c in names), strict=True)]


@pytest.fixture(scope="module")
def leads() -> tuple[dict[str, np.ndarray], np.ndarray]:
    return synthetic_leads(3000)


@pytest.fixture(scope="module", params=["logistic", "naive_bayes"])
def model(request: pytest.FixtureRequest, leads: tuple[dict[str, np.ndarray], np.ndarray]) -> LeadScoringModel:
    columns, won = leads
    return train(columns, won, kind=request.param, seed=3)


def test_too_little_history_is_a_clear_status() -> None:
    columns, won = synthetic_leads(40)
    with pytest.raises(InsufficientHistory) as info:
        train(columns, won)
    assert info.value.status == "too_little_history"
    assert info.value.n_leads == 40

    columns, won = synthetic_leads(500)
    won[:] = False
    won[:9] = True
    with pytest.raises(InsufficientHistory, match="9 won"):
        check_history(won)


def test_training_record(model: LeadScoringModel, leads: tuple[dict[str, np.ndarray], np.ndarray]) -> None:
    _, won = leads
    assert model.n_leads == 3000
    assert model.n_won == int(won.sum())
    assert model.n_train + model.n_test == 3000
    assert model.n_test == pytest.approx(750, abs=1)
    assert model.auc is not None and 0.7 < model.auc < 1.0
    assert model.trained_at is not None and model.trained_at.tzinfo is not None
    assert (datetime.now(UTC) - model.trained_at).total_seconds() < 60


def test_stratified_split_keeps_class_shares() -> None:
    labels = np.array([True] * 40 + [False] * 160)
    train_idx, test_idx = stratified_split(labels, 0.25, seed=5)
    assert labels[test_idx].sum() == 10 and (~labels[test_idx]).sum() == 40
    assert np.intersect1d(train_idx, test_idx).size == 0 and train_idx.size + test_idx.size == 200
    np.testing.assert_array_equal(stratified_split(labels, 0.25, seed=5)[1], test_idx)


def test_json_round_trip_keeps_predictions(
    model: LeadScoringModel, leads: tuple[dict[str, np.ndarray], np.ndarray]
) -> None:
    columns, _ = leads
    text = model.to_json()
    json.loads(text)  # plain JSON, no NaN
    restored = LeadScoringModel.from_json(text)
    np.testing.assert_array_equal(restored.predict_proba(columns), model.predict_proba(columns))
    assert restored.to_dict() == model.to_dict()
    assert restored.trained_at == model.trained_at


def test_records_and_columns_predict_the_same(
    model: LeadScoringModel, leads: tuple[dict[str, np.ndarray], np.ndarray]
) -> None:
    columns, _ = leads
    sample = {name: col[:200] for name, col in columns.items()}
    np.testing.assert_allclose(model.predict_proba(as_records(sample)), model.predict_proba(sample), rtol=1e-12)


def test_explanation_adds_up_to_the_score(
    model: LeadScoringModel, leads: tuple[dict[str, np.ndarray], np.ndarray]
) -> None:
    columns, _ = leads
    lead = as_records({name: col[:1] for name, col in columns.items()})[0]
    full = model.explain(lead, top=None)
    assert full.score == pytest.approx(100 * model.predict_proba([lead])[0], abs=1e-9)
    assert full.baseline + math.fsum(f.points for f in full.factors) == pytest.approx(full.score, abs=1e-9)
    top = model.explain(lead, top=2)
    assert len(top.factors) == 2
    assert [abs(f.points) for f in top.factors] == sorted((abs(f.points) for f in full.factors), reverse=True)[:2]


def test_explanation_names_the_decisive_field() -> None:
    columns, won = synthetic_leads(3000)
    model = train(columns, won, seed=0)
    lead = {"country": "FR", "source": "fair", "visits": 4.0, "minutes": 12.0, "budget": math.exp(9)}
    factors = model.explain(lead).factors
    assert factors[0].feature == "source = fair"
    assert factors[0].points > 0


def test_rare_values_share_the_other_bucket() -> None:
    columns, won = synthetic_leads(600)
    columns["source"] = columns["source"].astype(object)
    columns["source"][:3] = "rare source"
    model = train(columns, won, categorical=["source"], numeric=["visits"], min_count=5)
    rare = {"source": "rare source", "visits": 4}
    unseen = {"source": "never seen", "visits": 4}
    assert model.predict_proba([rare])[0] == model.predict_proba([unseen])[0]


def test_naive_bayes_uses_laplace_smoothing() -> None:
    # one field, two values: won has a x 30, b x 10; lost has a x 20, b x 40
    source = np.array(["a"] * 30 + ["b"] * 10 + ["a"] * 20 + ["b"] * 40)
    won = np.array([True] * 40 + [False] * 60)
    model = train({"source": source}, won, kind="naive_bayes", refit=True)
    k = 3  # a, b and the bucket for other values
    expected = math.log(40 / 60) + math.log((30 + 1) / (40 + k)) - math.log((20 + 1) / (60 + k))
    assert model.decision_function([{"source": "a"}])[0] == pytest.approx(expected)


def test_field_types_are_inferred() -> None:
    rows = [
        {"country": "IR", "employees": 10, "zip": "1234", "custom": {"vip": True}, "tags": ["a"]},
        {"country": None, "employees": 2.5, "zip": "99"},
    ]
    categorical, numeric = infer_field_types(rows)
    assert categorical == ["country", "zip"]
    assert numeric == ["employees"]
    assert infer_field_types(rows, ["custom.vip"]) == ([], ["custom.vip"])


def test_labels_must_be_boolean() -> None:
    columns, _ = synthetic_leads(100)
    with pytest.raises(ValueError, match="labels"):
        train(columns, np.array(["won", "lost"] * 50))


def test_predicts_a_million_leads_vectorised(leads: tuple[dict[str, np.ndarray], np.ndarray]) -> None:
    columns, won = leads
    model = train(columns, won, seed=1)
    many, _ = synthetic_leads(1_000_000, seed=9)
    probabilities = model.predict_proba(many)
    assert probabilities.shape == (1_000_000,)
    assert np.isfinite(probabilities).all()
    picked = [0, 123_456, 999_999]
    sample = {name: col[picked] for name, col in many.items()}
    np.testing.assert_allclose(probabilities[picked], model.predict_proba(as_records(sample)), rtol=1e-12)
