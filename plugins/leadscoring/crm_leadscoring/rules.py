"""Rule-based lead scoring, grades, and the blend with the learned model.

A rule set adds or removes points per rule:

* ``FieldRule`` tests a field of the lead (a dotted path reaches custom fields:
  ``"custom_fields.budget"``) with ``eq``, ``ne``, ``in``, ``not_in``, ``contains``,
  ``is_set``, ``is_not_set``, ``gt``, ``gte``, ``lt``, ``lte`` or ``between``.
* ``EngagementRule`` counts the lead's engagement events (touchpoints by channel, email
  opens and clicks) in the last ``within_days`` days, each weighted by
  ``0.5 ** (age_in_days / half_life_days)`` so that an event one half-life old counts half.
  Without ``min_count`` it earns ``points`` per (decayed) event, optionally capped at
  ``max_points``; with ``min_count`` it earns ``points`` once the decayed count reaches it.

The score starts at ``base``, is clamped to 0-100 and comes with its explanation, a list of
``(rule label, points)`` that always adds up to the score (clamping shows as its own line).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crm_leadscoring._fields import field_value

__all__ = [
    "DEFAULT_GRADES",
    "DEFAULT_HALF_LIFE_DAYS",
    "EMAIL_CLICK",
    "EMAIL_OPEN",
    "TOUCHPOINT",
    "EngagementEvent",
    "EngagementRule",
    "FieldRule",
    "GradeThresholds",
    "RuleScore",
    "RuleSet",
    "blend_score",
    "decay_weight",
    "grade",
]

TOUCHPOINT = "touchpoint"
EMAIL_OPEN = "email_open"
EMAIL_CLICK = "email_click"

DEFAULT_HALF_LIFE_DAYS = 30.0
CLAMP_LABEL = "clamped to 0-100"
BASE_LABEL = "base score"

Operator = Literal["eq", "ne", "in", "not_in", "contains", "is_set", "is_not_set", "gt", "gte", "lt", "lte", "between"]
_OPERATORS = frozenset(get_args(Operator))
_NUMERIC_OPERATORS = frozenset({"gt", "gte", "lt", "lte", "between"})
_SECONDS_PER_DAY = 86_400.0


# ---------------------------------------------------------------------------------------
# Value helpers


def _is_set(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, Collection):
        return len(value) > 0
    return True


def _as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(Decimal(value.strip().replace(",", "")))
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    return None if math.isnan(number) else number


def _equal(a: Any, b: Any) -> bool:
    """Numbers compare numerically ("10" == 10.0), strings case-insensitively, else ``==``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    na, nb = _as_number(a), _as_number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    return bool(a == b)


def _items(value: Any) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _as_datetime(value: datetime | date | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def decay_weight(age_days: float, half_life_days: float | None) -> float:
    """``0.5 ** (age / half_life)``; no decay when the half-life is ``None`` or 0."""
    if not half_life_days:
        return 1.0
    return 0.5 ** (max(age_days, 0.0) / half_life_days)


# ---------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class FieldRule:
    """``points`` when ``field`` of the lead satisfies ``op`` against ``value``.

    ``in``/``not_in`` take a collection; a list-valued field (tags) matches ``in`` when any of
    its items is in it. ``contains``: substring of a text field or item of a list field.
    Numeric operators coerce both sides to numbers and do not fire on non-numbers;
    ``between`` takes ``(low, high)``, both inclusive. ``ne`` and ``not_in`` also fire on an
    empty field.
    """

    label: str
    field: str
    op: Operator
    points: float
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in _OPERATORS:
            raise ValueError(f"rule {self.label!r}: unknown operator {self.op!r}")
        if self.op in ("in", "not_in") and (isinstance(self.value, str) or not isinstance(self.value, Iterable)):
            raise ValueError(f"rule {self.label!r}: {self.op} needs a list of values")
        if self.op == "between":
            bounds = list(self.value) if isinstance(self.value, Iterable) else []
            if len(bounds) != 2 or any(_as_number(b) is None for b in bounds):
                raise ValueError(f"rule {self.label!r}: between needs two numbers (low, high)")
        elif self.op in _NUMERIC_OPERATORS and _as_number(self.value) is None:
            raise ValueError(f"rule {self.label!r}: {self.op} needs a number")

    def matches(self, lead: Mapping[str, Any]) -> bool:
        actual = field_value(lead, self.field)
        op = self.op
        if op == "is_set":
            return _is_set(actual)
        if op == "is_not_set":
            return not _is_set(actual)
        if op == "eq":
            return _is_set(actual) and _equal(actual, self.value)
        if op == "ne":
            return not (_is_set(actual) and _equal(actual, self.value))
        if op in ("in", "not_in"):
            found = _is_set(actual) and any(_equal(item, wanted) for item in _items(actual) for wanted in self.value)
            return found if op == "in" else not found
        if op == "contains":
            if isinstance(actual, str):
                return str(self.value).casefold() in actual.casefold()
            return _is_set(actual) and any(_equal(item, self.value) for item in _items(actual))
        number = _as_number(actual)
        if number is None:
            return False
        if op == "between":
            low, high = (_as_number(b) for b in self.value)
            assert low is not None and high is not None
            return low <= number <= high
        limit = _as_number(self.value)
        assert limit is not None
        return {
            "gt": number > limit,
            "gte": number >= limit,
            "lt": number < limit,
            "lte": number <= limit,
        }[op]

    def points_for(self, lead: Mapping[str, Any]) -> float:
        return float(self.points) if self.matches(lead) else 0.0

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if self.op in ("in", "not_in", "between") else self.value
        return {
            "type": "field",
            "label": self.label,
            "field": self.field,
            "op": self.op,
            "value": value,
            "points": self.points,
        }


@dataclass(frozen=True)
class EngagementEvent:
    """Something the lead did: ``type`` (``TOUCHPOINT``, ``EMAIL_OPEN``, ...), when, on which channel."""

    type: str
    at: datetime | date | str
    channel: str | None = None


@dataclass(frozen=True)
class EngagementRule:
    """Points for recent engagement; see the module docstring for how events are counted.

    ``event_types``/``channels`` restrict which events count (``None``: any channel).
    ``half_life_days``: ``None`` takes the rule set's default, 0 switches decay off.
    """

    label: str
    points: float
    event_types: tuple[str, ...] = (TOUCHPOINT,)
    channels: tuple[str, ...] | None = None
    within_days: float | None = None
    half_life_days: float | None = None
    min_count: float | None = None
    max_points: float | None = None

    def __post_init__(self) -> None:
        for name in ("event_types", "channels"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif value is not None:
                object.__setattr__(self, name, tuple(value))
        for name in ("within_days", "half_life_days", "min_count", "max_points"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"rule {self.label!r}: {name} must not be negative")

    def decayed_count(
        self,
        events: Iterable[EngagementEvent | Mapping[str, Any]],
        now: datetime,
        default_half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    ) -> float:
        """Sum of the decay weights of the matching events inside the window."""
        half_life = self.half_life_days if self.half_life_days is not None else default_half_life_days
        now = _as_datetime(now)
        types = {t.casefold() for t in self.event_types}
        channels = None if self.channels is None else {c.casefold() for c in self.channels}
        total = 0.0
        for event in events:
            if isinstance(event, Mapping):
                event = EngagementEvent(event["type"], event["at"], event.get("channel"))
            if event.type.casefold() not in types:
                continue
            if channels is not None and (event.channel or "").casefold() not in channels:
                continue
            age_days = (now - _as_datetime(event.at)).total_seconds() / _SECONDS_PER_DAY
            if self.within_days is not None and age_days > self.within_days:
                continue
            total += decay_weight(age_days, half_life)
        return total

    def points_for(
        self,
        events: Iterable[EngagementEvent | Mapping[str, Any]],
        now: datetime,
        default_half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    ) -> float:
        count = self.decayed_count(events, now, default_half_life_days)
        if self.min_count is not None:
            return float(self.points) if count >= self.min_count else 0.0
        points = float(self.points) * count
        if self.max_points is not None:
            points = math.copysign(min(abs(points), self.max_points), points)
        return points

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "engagement",
            "label": self.label,
            "points": self.points,
            "event_types": list(self.event_types),
            "channels": None if self.channels is None else list(self.channels),
            "within_days": self.within_days,
            "half_life_days": self.half_life_days,
            "min_count": self.min_count,
            "max_points": self.max_points,
        }


Rule = FieldRule | EngagementRule


def _rule_from_dict(data: Mapping[str, Any]) -> Rule:
    kind = data.get("type", "field")
    if kind == "field":
        value = data.get("value")
        if data["op"] in ("in", "not_in", "between") and isinstance(value, list):
            value = tuple(value)
        return FieldRule(label=data["label"], field=data["field"], op=data["op"], points=data["points"], value=value)
    if kind == "engagement":
        channels = data.get("channels")
        return EngagementRule(
            label=data["label"],
            points=data["points"],
            event_types=tuple(data.get("event_types") or (TOUCHPOINT,)),
            channels=None if channels is None else tuple(channels),
            within_days=data.get("within_days"),
            half_life_days=data.get("half_life_days"),
            min_count=data.get("min_count"),
            max_points=data.get("max_points"),
        )
    raise ValueError(f"unknown rule type {kind!r}")


@dataclass(frozen=True)
class RuleScore:
    """A 0-100 score and the ``(label, points)`` lines that add up to it."""

    score: float
    explanation: list[tuple[str, float]]
    grade: str


@dataclass(frozen=True)
class GradeThresholds:
    """Lowest score for each grade; below ``c`` is D."""

    a: float = 75.0
    b: float = 50.0
    c: float = 25.0

    def __post_init__(self) -> None:
        if not 100.0 >= self.a >= self.b >= self.c >= 0.0:
            raise ValueError("grade thresholds must satisfy 100 >= a >= b >= c >= 0")


DEFAULT_GRADES = GradeThresholds()


def grade(score: float, thresholds: GradeThresholds = DEFAULT_GRADES) -> str:
    """Letter grade ``"A"``-``"D"`` of a 0-100 score."""
    if score >= thresholds.a:
        return "A"
    if score >= thresholds.b:
        return "B"
    if score >= thresholds.c:
        return "C"
    return "D"


@dataclass(frozen=True)
class RuleSet:
    """The admin's scoring rules with the default half-life and the grade thresholds."""

    rules: tuple[Rule, ...] = ()
    base: float = 0.0
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS
    grades: GradeThresholds = field(default_factory=GradeThresholds)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))

    def score(
        self,
        lead: Mapping[str, Any],
        events: Iterable[EngagementEvent | Mapping[str, Any]] = (),
        now: datetime | None = None,
    ) -> RuleScore:
        """Score one lead. ``now`` defaults to the current UTC time; naive datetimes are UTC."""
        now = _as_datetime(now) if now is not None else datetime.now(UTC)
        events = list(events)
        explanation: list[tuple[str, float]] = []
        if self.base:
            explanation.append((BASE_LABEL, float(self.base)))
        for rule in self.rules:
            if isinstance(rule, FieldRule):
                points = rule.points_for(lead)
            else:
                points = rule.points_for(events, now, self.half_life_days)
            if points:
                explanation.append((rule.label, points))
        raw = math.fsum(points for _, points in explanation)
        score = min(max(raw, 0.0), 100.0)
        if score != raw:
            explanation.append((CLAMP_LABEL, score - raw))
        return RuleScore(score=score, explanation=explanation, grade=grade(score, self.grades))

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "half_life_days": self.half_life_days,
            "grades": {"a": self.grades.a, "b": self.grades.b, "c": self.grades.c},
            "rules": [rule.to_dict() for rule in self.rules],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Build from the admin's stored configuration (the shape ``to_dict`` writes)."""
        grades = data.get("grades") or {}
        return cls(
            rules=tuple(_rule_from_dict(r) for r in data.get("rules", ())),
            base=float(data.get("base", 0.0)),
            half_life_days=data.get("half_life_days", DEFAULT_HALF_LIFE_DAYS),
            grades=GradeThresholds(**grades),
        )


# ---------------------------------------------------------------------------------------
# Blend


def blend_score(
    model_probability: float | ArrayLike | None, rule_score: float | ArrayLike, weight: float
) -> float | NDArray[np.float64]:
    """``weight * model_probability * 100 + (1 - weight) * rule_score``, clamped to 0-100.

    ``weight`` 0 uses the rules only, 1 the model only. Without a model (``None``, e.g.
    ``InsufficientHistory``) the rule score is returned whatever the weight. Works on
    scalars and on numpy arrays.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError("weight must be between 0 and 1")
    if model_probability is None:
        return float(rule_score) if np.ndim(rule_score) == 0 else np.asarray(rule_score, dtype=np.float64)
    if np.ndim(model_probability) == 0 and np.ndim(rule_score) == 0:
        blended = weight * float(model_probability) * 100.0 + (1.0 - weight) * float(rule_score)
        return min(max(blended, 0.0), 100.0)
    probability = np.asarray(model_probability, dtype=np.float64)
    rules = np.asarray(rule_score, dtype=np.float64)
    return np.clip(weight * probability * 100.0 + (1.0 - weight) * rules, 0.0, 100.0)
