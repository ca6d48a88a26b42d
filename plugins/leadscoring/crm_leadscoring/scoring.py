"""Scoring a chunk of leads at once with numpy: rule points, model probability, blend, grade, explanation.

Field rules are evaluated once per distinct value of their field and mapped back, engagement rules sum decay
weights with ``np.bincount``, the model's per-field contributions are one column each. Only the explanation
(a short list of lines per lead, stored as JSON) is built row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from crm_leadscoring.columns import DEFAULT_LOOKBACK_DAYS, Events, LeadChunk, known_field
from crm_leadscoring.predictive import LeadScoringModel, _to_float
from crm_leadscoring.rules import CLAMP_LABEL, EngagementRule, FieldRule, RuleSet, decay_weight

MODEL_BASELINE = "model: typical lead"
MODEL_OTHER = "model: other fields"
TOP_FACTORS = 3


@dataclass(frozen=True)
class ScoringConfig:
    """The admin's rules, the current model (or None) and the model's weight in the blend (0 = rules only)."""

    rules: RuleSet
    model: LeadScoringModel | None = None
    weight: float = 0.5

    @property
    def effective_weight(self) -> float:
        return self.weight if self.model is not None else 0.0

    def fields(self) -> list[str]:
        wanted = [rule.field for rule in self.rules.rules if isinstance(rule, FieldRule)]
        if self.model is not None and self.effective_weight > 0:
            wanted += self.model.field_names
        return [name for name in dict.fromkeys(wanted) if known_field(name)]

    def lookback_days(self) -> float:
        windows = [rule.within_days for rule in self.rules.rules if isinstance(rule, EngagementRule)]
        if not windows:
            return 0.0
        return max(DEFAULT_LOOKBACK_DAYS if w is None else w for w in windows)

    def wants(self, event_type: str) -> bool:
        return any(isinstance(rule, EngagementRule) and event_type in {t.casefold() for t in rule.event_types}
                   for rule in self.rules.rules)


@dataclass
class ScoredChunk:
    ids: NDArray[np.int64]
    score: NDArray[np.float64]
    grade: NDArray[Any]
    rule_score: NDArray[np.float64]
    model_score: NDArray[np.float64] | None
    explanations: list[list[list[Any]]]


_NUMERIC = {"gt": np.greater, "gte": np.greater_equal, "lt": np.less, "lte": np.less_equal}


def _field_points(rule: FieldRule, column: NDArray[Any]) -> NDArray[np.float64]:
    """Numeric comparisons in numpy; any other operator once per distinct value, mapped back."""
    if rule.op in _NUMERIC or rule.op == "between":
        numbers = _to_float(column) if column.dtype.kind != "b" else np.full(column.shape[0], np.nan)
        with np.errstate(invalid="ignore"):
            if rule.op == "between":
                low, high = (float(v) for v in rule.value)
                hit = (numbers >= low) & (numbers <= high)
            else:
                hit = _NUMERIC[rule.op](numbers, float(rule.value))
        return np.where(hit, float(rule.points), 0.0)
    cache: dict[Any, float] = {}
    values = column.tolist()
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        try:
            out[i] = cache[value]
        except KeyError:
            out[i] = cache[value] = rule.points_for({rule.field: value})
        except TypeError:
            out[i] = rule.points_for({rule.field: value})
    return out


def _engagement_points(rule: EngagementRule, events: Events, n: int, default_half_life: float | None
                       ) -> NDArray[np.float64]:
    if events.index.size == 0:
        counts = np.zeros(n)
    else:
        types = {t.casefold() for t in rule.event_types}
        mask = np.isin(events.types, list(types))
        if rule.channels is not None:
            mask &= np.isin(events.channels, [c.casefold() for c in rule.channels])
        if rule.within_days is not None:
            mask &= events.age_days <= rule.within_days
        half_life = rule.half_life_days if rule.half_life_days is not None else default_half_life
        if half_life:
            weights = 0.5 ** (np.maximum(events.age_days[mask], 0.0) / half_life)
        else:
            weights = np.full(int(mask.sum()), decay_weight(0.0, None))
        counts = np.bincount(events.index[mask], weights=weights, minlength=n)
    if rule.min_count is not None:
        return np.where(counts >= rule.min_count, float(rule.points), 0.0)
    points = float(rule.points) * counts
    if rule.max_points is not None:
        points = np.sign(points) * np.minimum(np.abs(points), rule.max_points)
    return points


def rule_points(rules: RuleSet, chunk: LeadChunk, events: Events) -> tuple[list[str], NDArray[np.float64]]:
    """Labels and an (n, lines) matrix of points; the base score is the first line when set."""
    n = len(chunk)
    labels: list[str] = []
    columns: list[NDArray[np.float64]] = []
    if rules.base:
        labels.append("base score")
        columns.append(np.full(n, float(rules.base)))
    for rule in rules.rules:
        if isinstance(rule, FieldRule):
            column = chunk.columns.get(rule.field)
            points = np.zeros(n) if column is None else _field_points(rule, column)
        else:
            points = _engagement_points(rule, events, n, rules.half_life_days)
        labels.append(rule.label)
        columns.append(points)
    return labels, (np.column_stack(columns) if columns else np.zeros((n, 0)))


def grades(score: NDArray[np.float64], rules: RuleSet) -> NDArray[Any]:
    g = rules.grades
    return np.select([score >= g.a, score >= g.b, score >= g.c], ["A", "B", "C"], default="D").astype(object)


def _model_parts(model: LeadScoringModel, chunk: LeadChunk) -> tuple[NDArray[np.float64], float,
                                                                     NDArray[np.float64]]:
    """Model score 0-100, baseline score, and (n, fields) points that add up from the baseline to the score."""
    n = len(chunk)
    missing = np.full(n, None, dtype=object)
    contributions = np.column_stack(
        [f.contribution(chunk.columns.get(f.name, missing)) - f.centre for f in model.fields]
    ) if model.fields else np.zeros((n, 0))
    base_logit = model.baseline_logit
    delta = contributions.sum(axis=1)
    probability = expit(base_logit + delta)
    baseline = 100.0 * float(expit(base_logit))
    score = 100.0 * probability
    with np.errstate(divide="ignore", invalid="ignore"):
        per_logit = np.where(np.abs(delta) > 1e-12, (score - baseline) / delta, 100.0 * probability * (1 - probability))
    return score, baseline, contributions * per_logit[:, None]


def _describe(name: str, value: Any) -> str:
    if value is None or value != value:  # None or NaN
        return f"{name} is empty"
    return f"{name} = {value}"


def score_chunk(config: ScoringConfig, chunk: LeadChunk, events: Events) -> ScoredChunk:
    n = len(chunk)
    labels, points = rule_points(config.rules, chunk, events)
    rule_score = np.clip(points.sum(axis=1), 0.0, 100.0)
    rule_clamp = rule_score - points.sum(axis=1)
    weight = config.effective_weight
    model_score = None
    if config.model is not None and weight > 0:
        model_score, baseline, factors = _model_parts(config.model, chunk)
        final = np.clip(weight * model_score + (1 - weight) * rule_score, 0.0, 100.0)
    else:
        final = rule_score
    explanations: list[list[list[Any]]] = []
    rule_share = 1.0 - weight
    rule_rows = np.round(rule_share * points, 1).tolist()
    clamp_rows = np.round(rule_share * rule_clamp, 1).tolist()
    if model_score is not None:
        order = np.argsort(-np.abs(factors), axis=1)[:, :TOP_FACTORS]
        top = np.take_along_axis(factors, order, axis=1)
        other = np.round(weight * (model_score - baseline - top.sum(axis=1)), 1).tolist()
        names = [f.name for f in config.model.fields]
        values = {name: chunk.columns[name].tolist() for name in names if name in chunk.columns}
        order_rows, top_rows = order.tolist(), np.round(weight * top, 1).tolist()
        baseline_line = [MODEL_BASELINE, round(weight * baseline, 1)]
    for i in range(n):
        lines = [[label, p] for label, p in zip(labels, rule_rows[i], strict=True) if p]
        if clamp_rows[i]:
            lines.append([CLAMP_LABEL, clamp_rows[i]])
        if model_score is not None:
            lines.append(list(baseline_line))
            for j, p in zip(order_rows[i], top_rows[i], strict=True):
                name = names[j]
                value = values[name][i] if name in values else None
                lines.append([f"model: {_describe(name, value)}", p])
            if other[i]:
                lines.append([MODEL_OTHER, other[i]])
        explanations.append(lines)
    return ScoredChunk(ids=chunk.ids, score=final, grade=grades(final, config.rules), rule_score=rule_score,
                       model_score=model_score, explanations=explanations)
