"""Lead-quality models learned from the history of won and lost deals.

Two kinds of model, chosen by the admin:

``"logistic"`` (the default)
    L2-regularised logistic regression, fitted with L-BFGS (``scipy.optimize``) on one-hot
    columns for categorical field values seen at least ``min_count`` times plus standardised
    numeric fields. It is the default because all weights are fitted jointly: correlated
    fields (country and language, page views and time on site) share their evidence instead
    of each being counted in full, and the fitted probabilities are calibrated -- a score of
    30 means roughly 30 % of such leads were won -- which the blend with the rule score
    (``rules.blend_score``) relies on.

``"naive_bayes"``
    Categorical naive Bayes with Laplace smoothing, as Odoo's predictive lead scoring does.
    Numeric fields are cut into quantile bins. It needs no optimisation and ranks reasonably
    from very little history, but it multiplies per-field likelihood ratios as if the fields
    were independent, so correlated fields are double counted and the probabilities come
    out overconfident.

Both kinds end up with the same additive form, ``logit = intercept + sum of per-field
contributions``, so prediction, explanation and JSON storage are shared: a numeric field of
a logistic model contributes ``weight * standardised value``; every other field looks its
value up in a table (the last entry of which stands for values not seen often enough in
training, and for a missing numeric value in naive Bayes).

``train`` refuses to learn from too little history (``InsufficientHistory``); the caller
then falls back to the rule score alone.

Rows are either a sequence of mappings (one per lead; dotted paths reach nested custom
fields) or a mapping of field name to a column (list or numpy array). The column form keeps
``predict_proba`` on a million leads free of per-lead Python work.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse
from scipy.special import expit

from crm_leadscoring._fields import field_value
from crm_leadscoring.auc import roc_auc

__all__ = [
    "DEFAULT_KIND",
    "Explanation",
    "Factor",
    "InsufficientHistory",
    "LeadScoringModel",
    "ModelKind",
    "Rows",
    "check_history",
    "infer_field_types",
    "stratified_split",
    "train",
]

ModelKind = Literal["logistic", "naive_bayes"]
Rows = Sequence[Mapping[str, Any]] | Mapping[str, ArrayLike]

DEFAULT_KIND: ModelKind = "logistic"
FORMAT_VERSION = 1

MIN_LEADS = 50
MIN_PER_CLASS = 10

_MISSING_KEY = ""
_PREDICT_CHUNK = 250_000


class InsufficientHistory(ValueError):
    """Too few decided leads to learn from; score with the rules instead.

    ``status`` is always ``"too_little_history"`` so callers can store or display it.
    """

    status = "too_little_history"

    def __init__(self, n_leads: int, n_won: int, n_lost: int, min_leads: int, min_per_class: int):
        self.n_leads = n_leads
        self.n_won = n_won
        self.n_lost = n_lost
        self.min_leads = min_leads
        self.min_per_class = min_per_class
        super().__init__(
            f"too little history to train a lead-scoring model: {n_leads} leads "
            f"({n_won} won, {n_lost} lost); need at least {min_leads} leads and "
            f"{min_per_class} of each outcome"
        )


@dataclass(frozen=True)
class Factor:
    """One field's share of a score: ``points`` on the 0-100 scale (negative lowers it)."""

    feature: str
    points: float


@dataclass(frozen=True)
class Explanation:
    """Why a lead got its score.

    ``baseline`` is the score of a lead whose every field contributes its training average;
    ``baseline + sum(f.points for f in all factors) == score``. ``factors`` holds the
    largest ones by absolute size.
    """

    score: float
    baseline: float
    factors: tuple[Factor, ...]


# ---------------------------------------------------------------------------------------
# Column handling


def _n_rows(rows: Rows) -> int:
    if isinstance(rows, Mapping):
        lengths = {len(col) for col in rows.values()}  # type: ignore[arg-type]
        if len(lengths) > 1:
            raise ValueError("all columns must have the same length")
        return lengths.pop() if lengths else 0
    return len(rows)


def _column(rows: Rows, name: str, n: int) -> NDArray[Any]:
    if isinstance(rows, Mapping):
        col = rows.get(name)
        if col is None:
            return np.full(n, None, dtype=object)
        arr = np.asarray(col)
        return arr.astype(object) if arr.dtype.kind == "M" else arr
    return np.array([field_value(row, name) for row in rows], dtype=object)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return isinstance(value, str) and not value.strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal | np.integer | np.floating | np.bool_)


def _to_float(col: NDArray[Any]) -> NDArray[np.float64]:
    if col.dtype.kind in "iufb":
        return col.astype(np.float64)
    out = np.full(col.shape[0], np.nan)
    present = ~np.equal(col, None)
    try:
        out[present] = col[present].astype(np.float64)
        return out
    except (TypeError, ValueError):
        out[:] = np.nan
    for i, value in enumerate(col):
        if _is_missing(value):
            continue
        with contextlib.suppress(TypeError, ValueError):
            out[i] = float(value)
    return out


def _key(value: Any) -> str:
    if _is_missing(value):
        return _MISSING_KEY
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating | Decimal):
        f = float(value)
        return str(int(f)) if f.is_integer() and abs(f) < 2.0**53 else repr(f)
    return str(value).strip()


def _to_keys(col: NDArray[Any]) -> NDArray[np.str_]:
    """Category keys as a string array; equal values in any representation map alike."""
    kind = col.dtype.kind
    if kind in "US":
        return np.char.strip(col.astype(str))
    if kind == "b":
        return np.where(col, "true", "false")
    if kind in "iu":
        return col.astype(str)
    if kind == "f":
        finite = np.isfinite(col)
        integral = finite & (np.mod(col, 1.0) == 0) & (np.abs(col) < 2.0**53)
        out = col.astype(str).astype(object)
        out[integral] = col[integral].astype(np.int64).astype(str)
        out[~finite] = _MISSING_KEY
        return out.astype(str)
    types = set(map(type, col.tolist()))
    if types <= {str, type(None)}:
        return np.char.strip(np.where(np.equal(col, None), _MISSING_KEY, col).astype(str))
    if types <= {int, float, Decimal, type(None)} and not any(
        isinstance(v, int) and abs(v) >= 2**53 for v in col.tolist()
    ):
        return _to_keys(_to_float(col))
    return np.array([_key(v) for v in col], dtype=str)


def _lookup(keys: NDArray[np.str_], index: Mapping[str, int], other: int) -> NDArray[np.intp]:
    if keys.size == 0:
        return np.zeros(0, dtype=np.intp)
    uniq, inverse = np.unique(keys, return_inverse=True)
    codes = np.fromiter((index.get(u, other) for u in uniq.tolist()), dtype=np.intp, count=len(uniq))
    return codes[inverse.reshape(-1)]


def _field_names(rows: Rows) -> list[str]:
    if isinstance(rows, Mapping):
        return list(rows.keys())
    seen: dict[str, None] = {}
    for row in rows:
        for name in row:
            seen.setdefault(name, None)
    return list(seen)


def infer_field_types(rows: Rows, fields: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """Split fields into ``(categorical, numeric)``.

    A field is numeric when every present value is a number (booleans included) or its
    column has a numeric dtype; anything else, strings of digits included, is categorical.
    Fields holding mappings or lists are left out: name nested custom fields by their dotted
    path (``"custom_fields.industry"``) instead.
    """
    n = _n_rows(rows)
    categorical: list[str] = []
    numeric: list[str] = []
    for name in fields if fields is not None else _field_names(rows):
        col = _column(rows, name, n)
        if col.dtype.kind in "iufb":
            numeric.append(name)
            continue
        if col.dtype.kind in "US":
            categorical.append(name)
            continue
        present = [v for v in col if not _is_missing(v)]
        if any(isinstance(v, Mapping | list | tuple | set) for v in present):
            continue
        if present and all(_is_number(v) for v in present):
            numeric.append(name)
        else:
            categorical.append(name)
    return categorical, numeric


# ---------------------------------------------------------------------------------------
# Fields of a fitted model


class _Field:
    name: str
    centre: float

    def contribution(self, col: NDArray[Any]) -> NDArray[np.float64]:
        raise NotImplementedError

    def describe(self, value: Any) -> str:
        return f"{self.name} = {_key(value) or '(empty)'}"

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class _LinearField(_Field):
    """Numeric field of a logistic model: ``weight * (x - mean) / scale``, missing -> 0."""

    name: str
    mean: float
    scale: float
    weight: float
    centre: float = 0.0

    def contribution(self, col: NDArray[Any]) -> NDArray[np.float64]:
        z = (_to_float(col) - self.mean) / self.scale
        return np.nan_to_num(z * self.weight, nan=0.0)

    def describe(self, value: Any) -> str:
        x = _to_float(np.array([value], dtype=object))[0]
        return f"{self.name} = {x:g}" if not np.isnan(x) else f"{self.name} = (empty)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "linear",
            "name": self.name,
            "mean": self.mean,
            "scale": self.scale,
            "weight": self.weight,
            "centre": self.centre,
        }


@dataclass
class _TableField(_Field):
    """Categorical field: ``table[i]`` for ``values[i]``, ``table[-1]`` for anything else."""

    name: str
    values: list[str]
    table: NDArray[np.float64]
    centre: float = 0.0
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.table = np.asarray(self.table, dtype=np.float64)
        if self.table.shape != (len(self.values) + 1,):
            raise ValueError(f"field {self.name!r}: table must have one entry per value plus one")
        self._index = {v: i for i, v in enumerate(self.values)}

    def codes(self, col: NDArray[Any]) -> NDArray[np.intp]:
        return _lookup(_to_keys(col), self._index, len(self.values))

    def contribution(self, col: NDArray[Any]) -> NDArray[np.float64]:
        return self.table[self.codes(col)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "table",
            "name": self.name,
            "values": list(self.values),
            "table": self.table.tolist(),
            "centre": self.centre,
        }


@dataclass
class _BinnedField(_Field):
    """Numeric field of naive Bayes: bin ``searchsorted(edges, x)``; the last entry is 'missing'."""

    name: str
    edges: NDArray[np.float64]
    table: NDArray[np.float64]
    centre: float = 0.0

    def __post_init__(self) -> None:
        self.edges = np.asarray(self.edges, dtype=np.float64)
        self.table = np.asarray(self.table, dtype=np.float64)
        if self.table.shape != (len(self.edges) + 2,):
            raise ValueError(f"field {self.name!r}: table must have len(edges) + 2 entries")

    def codes(self, col: NDArray[Any]) -> NDArray[np.intp]:
        x = _to_float(col)
        codes = np.searchsorted(self.edges, x, side="right").astype(np.intp)
        codes[np.isnan(x)] = len(self.edges) + 1
        return codes

    def contribution(self, col: NDArray[Any]) -> NDArray[np.float64]:
        return self.table[self.codes(col)]

    def describe(self, value: Any) -> str:
        x = _to_float(np.array([value], dtype=object))[0]
        return f"{self.name} = {x:g}" if not np.isnan(x) else f"{self.name} = (empty)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "binned",
            "name": self.name,
            "edges": self.edges.tolist(),
            "table": self.table.tolist(),
            "centre": self.centre,
        }


def _field_from_dict(data: Mapping[str, Any]) -> _Field:
    kind = data["type"]
    if kind == "linear":
        return _LinearField(
            name=data["name"],
            mean=float(data["mean"]),
            scale=float(data["scale"]),
            weight=float(data["weight"]),
            centre=float(data.get("centre", 0.0)),
        )
    if kind == "table":
        return _TableField(
            name=data["name"],
            values=[str(v) for v in data["values"]],
            table=np.asarray(data["table"], dtype=np.float64),
            centre=float(data.get("centre", 0.0)),
        )
    if kind == "binned":
        return _BinnedField(
            name=data["name"],
            edges=np.asarray(data["edges"], dtype=np.float64),
            table=np.asarray(data["table"], dtype=np.float64),
            centre=float(data.get("centre", 0.0)),
        )
    raise ValueError(f"unknown field type {kind!r}")


# ---------------------------------------------------------------------------------------
# The model


@dataclass
class LeadScoringModel:
    """A fitted lead-quality model (either kind) with its training record.

    ``auc`` is measured on the held-out split; ``n_leads`` counts every decided lead the
    training call received (``n_train``/``n_test`` its split).
    """

    kind: ModelKind
    intercept: float
    fields: list[_Field]
    auc: float | None = None
    n_leads: int = 0
    n_won: int = 0
    n_lost: int = 0
    n_train: int = 0
    n_test: int = 0
    trained_at: datetime | None = None
    params: dict[str, Any] = field(default_factory=dict)

    # -- prediction ---------------------------------------------------------------------

    @property
    def field_names(self) -> list[str]:
        """The lead fields the model reads."""
        return [f.name for f in self.fields]

    @property
    def baseline_logit(self) -> float:
        return self.intercept + sum(f.centre for f in self.fields)

    def decision_function(self, rows: Rows) -> NDArray[np.float64]:
        """Log-odds of winning for each row."""
        n = _n_rows(rows)
        if not isinstance(rows, Mapping) and n > _PREDICT_CHUNK:
            return np.concatenate(
                [self.decision_function(rows[start : start + _PREDICT_CHUNK]) for start in range(0, n, _PREDICT_CHUNK)]
            )
        logit = np.full(n, self.intercept, dtype=np.float64)
        for f in self.fields:
            logit += f.contribution(_column(rows, f.name, n))
        return logit

    def predict_proba(self, rows: Rows) -> NDArray[np.float64]:
        """Probability that each lead is won, as a float array (same order as ``rows``)."""
        return expit(self.decision_function(rows))

    def score(self, rows: Rows) -> NDArray[np.float64]:
        """``predict_proba`` on the 0-100 scale of the rule score."""
        return 100.0 * self.predict_proba(rows)

    def explain(self, lead: Mapping[str, Any], top: int | None = 5) -> Explanation:
        """Score of one lead with its largest factors in points (``top=None``: all of them).

        Each field's contribution is measured in log-odds against its training average and
        the contributions are rescaled by one common factor so that they add up from the
        baseline score to this lead's score; the sign and the ranking are those of the
        log-odds.
        """
        values = [field_value(lead, f.name) for f in self.fields]
        contributions = np.array(
            [
                float(f.contribution(np.array([v], dtype=object))[0]) - f.centre
                for f, v in zip(self.fields, values, strict=True)
            ]
        )
        base_logit = self.baseline_logit
        logit = base_logit + float(contributions.sum())
        score = 100.0 * float(expit(logit))
        baseline = 100.0 * float(expit(base_logit))
        delta = logit - base_logit
        if abs(delta) > 1e-12:
            per_logit = (score - baseline) / delta
        else:
            p = score / 100.0
            per_logit = 100.0 * p * (1.0 - p)
        factors = [
            Factor(f.describe(v), float(c * per_logit))
            for f, v, c in zip(self.fields, values, contributions, strict=True)
        ]
        factors.sort(key=lambda fac: abs(fac.points), reverse=True)
        if top is not None:
            factors = factors[:top]
        return Explanation(score=score, baseline=baseline, factors=tuple(factors))

    # -- storage ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible representation (no NaN or infinities)."""
        return {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "intercept": self.intercept,
            "fields": [f.to_dict() for f in self.fields],
            "auc": self.auc,
            "n_leads": self.n_leads,
            "n_won": self.n_won,
            "n_lost": self.n_lost,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "trained_at": self.trained_at.isoformat() if self.trained_at else None,
            "params": dict(self.params),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LeadScoringModel:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"unsupported lead-scoring model format {version!r}")
        kind = data["kind"]
        if kind not in ("logistic", "naive_bayes"):
            raise ValueError(f"unknown model kind {kind!r}")
        trained_at = data.get("trained_at")
        return cls(
            kind=kind,
            intercept=float(data["intercept"]),
            fields=[_field_from_dict(f) for f in data["fields"]],
            auc=None if data.get("auc") is None else float(data["auc"]),
            n_leads=int(data.get("n_leads", 0)),
            n_won=int(data.get("n_won", 0)),
            n_lost=int(data.get("n_lost", 0)),
            n_train=int(data.get("n_train", 0)),
            n_test=int(data.get("n_test", 0)),
            trained_at=datetime.fromisoformat(trained_at) if trained_at else None,
            params=dict(data.get("params", {})),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> LeadScoringModel:
        return cls.from_dict(json.loads(text))


# ---------------------------------------------------------------------------------------
# Fitting


def _labels(labels: ArrayLike | Sequence[Any]) -> NDArray[np.bool_]:
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError("labels must be one-dimensional")
    if y.dtype.kind == "b":
        return y
    if y.dtype.kind in "iuf" or y.dtype == object:
        try:
            values = y.astype(np.float64)
        except (TypeError, ValueError):
            values = None
        if values is not None and np.isin(values, (0.0, 1.0)).all():
            return values.astype(bool)
    raise ValueError("labels must be booleans or 0/1 (won = True/1, lost = False/0)")


def check_history(
    labels: ArrayLike | Sequence[Any],
    min_leads: int = MIN_LEADS,
    min_per_class: int = MIN_PER_CLASS,
) -> None:
    """Raise ``InsufficientHistory`` unless there are enough won and lost leads to learn from."""
    y = _labels(labels)
    n_won = int(y.sum())
    n_lost = int(y.size - n_won)
    if y.size < min_leads or n_won < min_per_class or n_lost < min_per_class:
        raise InsufficientHistory(int(y.size), n_won, n_lost, min_leads, min_per_class)


def stratified_split(
    labels: ArrayLike | Sequence[Any], test_fraction: float = 0.25, seed: int | None = 0
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Sorted ``(train_index, test_index)`` holding out ``test_fraction`` of each class.

    Each class keeps at least one lead on either side when it has two or more.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be between 0 and 1")
    y = _labels(labels)
    rng = np.random.default_rng(seed)
    test_parts = []
    for cls in (False, True):
        idx = np.flatnonzero(y == cls)
        k = int(round(test_fraction * idx.size))
        if idx.size >= 2:
            k = min(max(k, 1), idx.size - 1)
        test_parts.append(rng.permutation(idx)[:k])
    test = np.sort(np.concatenate(test_parts)).astype(np.intp)
    mask = np.ones(y.size, dtype=bool)
    mask[test] = False
    return np.flatnonzero(mask).astype(np.intp), test


def _subset(rows: Rows, index: NDArray[np.intp]) -> Rows:
    if isinstance(rows, Mapping):
        return {name: np.asarray(col)[index] for name, col in rows.items()}
    return [rows[i] for i in index]


def _vocabulary(keys: NDArray[np.str_], min_count: int) -> list[str]:
    uniq, counts = np.unique(keys, return_counts=True)
    order = np.lexsort((uniq, -counts))
    return [str(uniq[i]) for i in order if counts[i] >= min_count]


def _fit_logistic(
    rows: Rows,
    y: NDArray[np.bool_],
    categorical: Sequence[str],
    numeric: Sequence[str],
    min_count: int,
    l2: float,
    max_iter: int,
) -> tuple[float, list[_Field]]:
    """Minimise ``sum(log-loss) + l2/2 * |w|^2`` (intercept unpenalised; l2 = 1/C of sklearn)."""
    n = y.size
    fields: list[_Field] = []
    dense: list[NDArray[np.float64]] = []
    for name in numeric:
        x = _to_float(_column(rows, name, n))
        present = ~np.isnan(x)
        if not present.any():
            continue
        mean = float(x[present].mean())
        scale = float(x[present].std())
        if not scale > 0.0:
            continue
        dense.append(np.where(present, (x - mean) / scale, 0.0))
        fields.append(_LinearField(name=name, mean=mean, scale=scale, weight=0.0))
    Z = np.column_stack(dense) if dense else np.zeros((n, 0))
    n_linear = Z.shape[1]

    tables: list[_TableField] = []
    one_hot_rows: list[NDArray[np.intp]] = []
    one_hot_cols: list[NDArray[np.intp]] = []
    width = 0
    for name in categorical:
        keys = _to_keys(_column(rows, name, n))
        values = _vocabulary(keys, min_count)
        if not values:
            continue
        table_field = _TableField(name=name, values=values, table=np.zeros(len(values) + 1))
        codes = _lookup(keys, table_field._index, len(values))
        hit = codes < len(values)
        one_hot_rows.append(np.flatnonzero(hit))
        one_hot_cols.append(codes[hit] + width)
        width += len(values)
        tables.append(table_field)
    fields.extend(tables)
    rows_idx = np.concatenate(one_hot_rows) if one_hot_rows else np.zeros(0, dtype=np.intp)
    cols_idx = np.concatenate(one_hot_cols) if one_hot_cols else np.zeros(0, dtype=np.intp)
    C = sparse.csr_matrix((np.ones(rows_idx.size), (rows_idx, cols_idx)), shape=(n, width))

    yf = y.astype(np.float64)
    # Mean log-loss, so that the tolerances do not depend on the amount of history.
    penalty = l2 / n

    def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        b, w_num, w_cat = theta[0], theta[1 : 1 + n_linear], theta[1 + n_linear :]
        z = Z @ w_num + C @ w_cat + b
        w = theta[1:]
        loss = float(np.mean(np.logaddexp(0.0, z) - yf * z)) + 0.5 * penalty * float(w @ w)
        r = (expit(z) - yf) / n
        grad = penalty * theta
        grad[0] = r.sum()
        grad[1 : 1 + n_linear] += Z.T @ r
        grad[1 + n_linear :] += C.T @ r
        return loss, grad

    p = float(yf.mean())
    theta0 = np.zeros(1 + n_linear + width)
    theta0[0] = math.log(p / (1.0 - p))
    result = optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-7, "ftol": 1e-11},
    )
    theta = result.x
    weights = theta[1:]
    for i, f in enumerate(fields[:n_linear]):
        assert isinstance(f, _LinearField)
        f.weight = float(weights[i])
    offset = n_linear
    for t in tables:
        k = len(t.values)
        t.table = np.append(weights[offset : offset + k], 0.0)
        offset += k
    return float(theta[0]), fields


def _fit_naive_bayes(
    rows: Rows,
    y: NDArray[np.bool_],
    categorical: Sequence[str],
    numeric: Sequence[str],
    min_count: int,
    alpha: float,
    n_bins: int,
) -> tuple[float, list[_Field]]:
    """Per-field log-likelihood ratios ``log P(v | won) - log P(v | lost)``, Laplace-smoothed.

    A bucket never seen in training (rare/unseen values, missing numbers) carries no
    evidence: its ratio is set to 0 instead of the smoothing's arbitrary class-size ratio.
    """
    n = y.size
    n_won = int(y.sum())
    n_lost = n - n_won
    fields: list[_Field] = []

    def table_from(codes: NDArray[np.intp], size: int) -> NDArray[np.float64]:
        won = np.bincount(codes[y], minlength=size).astype(np.float64)
        lost = np.bincount(codes[~y], minlength=size).astype(np.float64)
        table = np.log((won + alpha) / (n_won + alpha * size)) - np.log((lost + alpha) / (n_lost + alpha * size))
        table[(won + lost) == 0] = 0.0
        return table

    for name in categorical:
        keys = _to_keys(_column(rows, name, n))
        values = _vocabulary(keys, min_count)
        index = {v: i for i, v in enumerate(values)}
        codes = _lookup(keys, index, len(values))
        fields.append(_TableField(name=name, values=values, table=table_from(codes, len(values) + 1)))

    quantiles = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    for name in numeric:
        x = _to_float(_column(rows, name, n))
        present = ~np.isnan(x)
        if not present.any():
            continue
        edges = np.unique(np.quantile(x[present], quantiles))
        binned = _BinnedField(name=name, edges=edges, table=np.zeros(len(edges) + 2))
        binned.table = table_from(binned.codes(x), len(edges) + 2)
        fields.append(binned)

    return math.log(n_won / n_lost), fields


def train(
    rows: Rows,
    labels: ArrayLike | Sequence[Any],
    kind: ModelKind = DEFAULT_KIND,
    test_fraction: float = 0.25,
    seed: int | None = 0,
    *,
    categorical: Sequence[str] | None = None,
    numeric: Sequence[str] | None = None,
    exclude: Collection[str] = (),
    min_count: int = 5,
    l2: float = 1.0,
    alpha: float = 1.0,
    n_bins: int = 5,
    max_iter: int = 1000,
    min_leads: int = MIN_LEADS,
    min_per_class: int = MIN_PER_CLASS,
    refit: bool = True,
) -> LeadScoringModel:
    """Learn a lead-quality model from decided leads (``labels``: won = True/1, lost = False/0).

    The leads are split by class (``stratified_split(labels, test_fraction, seed)``), the
    model is fitted on the training part and its AUC measured on the held-out part. With
    ``refit`` (the default) the returned model is then refitted on all leads, so the stored
    AUC estimates how well this procedure ranks unseen leads.

    Fields: ``categorical`` and ``numeric`` name them explicitly; when both are ``None`` every
    field in ``rows`` except ``exclude`` is used and typed by ``infer_field_types``.
    ``min_count``: a categorical value needs this many training leads to get its own weight;
    rarer ones share the "other" bucket. ``l2``: penalty on ``|w|^2 / 2`` next to the summed
    log-loss (``1 / C`` in scikit-learn terms); ``alpha``: Laplace smoothing; ``n_bins``:
    quantile bins for numeric fields in naive Bayes.

    Raises ``InsufficientHistory`` below ``min_leads`` leads or ``min_per_class`` of either
    outcome.
    """
    if kind not in ("logistic", "naive_bayes"):
        raise ValueError(f"kind must be 'logistic' or 'naive_bayes', not {kind!r}")
    y = _labels(labels)
    if _n_rows(rows) != y.size:
        raise ValueError("rows and labels must have the same length")
    check_history(y, min_leads, min_per_class)

    if categorical is None and numeric is None:
        names = [f for f in _field_names(rows) if f not in exclude]
        categorical, numeric = infer_field_types(rows, names)
    categorical = [f for f in (categorical or ()) if f not in exclude]
    numeric = [f for f in (numeric or ()) if f not in exclude]
    if not categorical and not numeric:
        raise ValueError("no fields to learn from")

    def fit(part_rows: Rows, part_y: NDArray[np.bool_]) -> tuple[float, list[_Field]]:
        if kind == "logistic":
            return _fit_logistic(part_rows, part_y, categorical, numeric, min_count, l2, max_iter)
        return _fit_naive_bayes(part_rows, part_y, categorical, numeric, min_count, alpha, n_bins)

    train_idx, test_idx = stratified_split(y, test_fraction, seed)
    train_rows = _subset(rows, train_idx)
    intercept, fields = fit(train_rows, y[train_idx])
    held_out = LeadScoringModel(kind=kind, intercept=intercept, fields=fields)
    auc = roc_auc(y[test_idx], held_out.decision_function(_subset(rows, test_idx)))

    if refit:
        intercept, fields = fit(rows, y)
        fit_rows: Rows = rows
    else:
        fit_rows = train_rows
    n = _n_rows(fit_rows)
    for f in fields:
        f.centre = float(f.contribution(_column(fit_rows, f.name, n)).mean())

    n_won = int(y.sum())
    params: dict[str, Any] = {
        "test_fraction": test_fraction,
        "seed": seed,
        "min_count": min_count,
        "refit": refit,
    }
    params.update({"l2": l2} if kind == "logistic" else {"alpha": alpha, "n_bins": n_bins})
    return LeadScoringModel(
        kind=kind,
        intercept=intercept,
        fields=fields,
        auc=auc,
        n_leads=int(y.size),
        n_won=n_won,
        n_lost=int(y.size) - n_won,
        n_train=int(train_idx.size),
        n_test=int(test_idx.size),
        trained_at=datetime.now(UTC),
        params=params,
    )
