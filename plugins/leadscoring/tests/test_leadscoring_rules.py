from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from crm_leadscoring.rules import (
    CLAMP_LABEL,
    EMAIL_CLICK,
    EMAIL_OPEN,
    TOUCHPOINT,
    EngagementEvent,
    EngagementRule,
    FieldRule,
    GradeThresholds,
    RuleSet,
    blend_score,
    grade,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

LEAD = {
    "country": "IR",
    "source": "Website",
    "tags": ["vip", "retail"],
    "employees": "120",
    "email": "a@example.com",
    "phone": "",
    "custom_fields": {"budget": 25_000, "industry": "Retail"},
}


def _days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.mark.parametrize(
    ("rule", "fires"),
    [
        (FieldRule("iran", "country", "eq", 10, "ir"), True),
        (FieldRule("not iran", "country", "ne", 10, "IR"), False),
        (FieldRule("web or fair", "source", "in", 10, ("website", "fair")), True),
        (FieldRule("no partner", "source", "not_in", 10, ("partner",)), True),
        (FieldRule("vip tag", "tags", "in", 10, ("vip",)), True),
        (FieldRule("tag contains", "tags", "contains", 10, "retail"), True),
        (FieldRule("has email", "email", "is_set", 10), True),
        (FieldRule("no phone", "phone", "is_not_set", 10), True),
        (FieldRule("big company", "employees", "gte", 10, 100), True),
        (FieldRule("small company", "employees", "lt", 10, 50), False),
        (FieldRule("budget band", "custom_fields.budget", "between", 10, (10_000, 50_000)), True),
        (FieldRule("budget high", "custom_fields.budget", "gt", 10, 50_000), False),
        (FieldRule("retail", "custom_fields.industry", "eq", 10, "retail"), True),
        (FieldRule("missing numeric", "custom_fields.missing", "gt", 10, 0), False),
    ],
)
def test_field_rule_operators(rule: FieldRule, fires: bool) -> None:
    assert rule.matches(LEAD) is fires


def test_event_one_half_life_ago_counts_half() -> None:
    rule = EngagementRule("touchpoints", points=10, half_life_days=14)
    events = [EngagementEvent(TOUCHPOINT, _days_ago(14), "phone")]
    assert rule.points_for(events, NOW) == pytest.approx(5.0)


def test_engagement_filters_channel_type_and_window() -> None:
    rule = EngagementRule(
        "recent clicks by email", points=4, event_types=(EMAIL_CLICK,), within_days=30, half_life_days=0
    )
    events = [
        EngagementEvent(EMAIL_CLICK, _days_ago(1)),
        EngagementEvent(EMAIL_CLICK, _days_ago(29)),
        EngagementEvent(EMAIL_CLICK, _days_ago(31)),  # outside the window
        EngagementEvent(EMAIL_OPEN, _days_ago(1)),  # other type
    ]
    assert rule.points_for(events, NOW) == 8.0

    by_channel = EngagementRule("calls", points=3, channels=("phone",), half_life_days=0)
    calls = [
        {"type": TOUCHPOINT, "at": _days_ago(2), "channel": "Phone"},
        EngagementEvent(TOUCHPOINT, NOW, "web"),
    ]
    assert by_channel.points_for(calls, NOW) == 3.0


def test_engagement_threshold_uses_decayed_count() -> None:
    rule = EngagementRule("engaged", points=20, event_types=(EMAIL_OPEN,), half_life_days=7, min_count=1.5)
    two_fresh = [EngagementEvent(EMAIL_OPEN, NOW), EngagementEvent(EMAIL_OPEN, _days_ago(1))]
    two_old = [EngagementEvent(EMAIL_OPEN, _days_ago(7)), EngagementEvent(EMAIL_OPEN, _days_ago(7))]
    assert rule.points_for(two_fresh, NOW) == 20.0
    assert rule.points_for(two_old, NOW) == 0.0  # 0.5 + 0.5 < 1.5


def test_ruleset_default_half_life_applies() -> None:
    rules = RuleSet([EngagementRule("touch", points=8)], half_life_days=10)
    result = rules.score({}, [EngagementEvent(TOUCHPOINT, _days_ago(20))], now=NOW)
    assert result.score == pytest.approx(2.0)


def test_explanation_sums_to_score() -> None:
    rules = RuleSet(
        [
            FieldRule("website", "source", "eq", 15, "website"),
            FieldRule("no phone", "phone", "is_not_set", -5),
            FieldRule("budget", "custom_fields.budget", "gte", 20, 10_000),
            EngagementRule("touchpoints", points=6, half_life_days=10, max_points=30),
        ],
        base=10,
    )
    events = [EngagementEvent(TOUCHPOINT, _days_ago(d), "email") for d in (0, 3, 10, 40)]
    result = rules.score(LEAD, events, now=NOW)
    assert math.fsum(points for _, points in result.explanation) == pytest.approx(result.score)
    assert [label for label, _ in result.explanation][:4] == ["base score", "website", "no phone", "budget"]


def test_score_is_clamped_and_explained() -> None:
    rules = RuleSet([FieldRule("a", "country", "eq", 80, "IR"), FieldRule("b", "email", "is_set", 70)])
    result = rules.score(LEAD, now=NOW)
    assert result.score == 100.0
    assert result.explanation[-1] == (CLAMP_LABEL, -50.0)
    assert math.fsum(p for _, p in result.explanation) == pytest.approx(100.0)

    negative = RuleSet([FieldRule("bad", "country", "eq", -40, "IR")]).score(LEAD, now=NOW)
    assert negative.score == 0.0
    assert math.fsum(p for _, p in negative.explanation) == pytest.approx(0.0)


@pytest.mark.parametrize(("score", "letter"), [(100, "A"), (75, "A"), (74.9, "B"), (50, "B"), (25, "C"), (24.9, "D")])
def test_default_grades(score: float, letter: str) -> None:
    assert grade(score) == letter


def test_configurable_grades() -> None:
    strict = GradeThresholds(a=90, b=70, c=40)
    assert grade(80, strict) == "B"
    assert RuleSet([FieldRule("x", "country", "eq", 80, "IR")], grades=strict).score(LEAD).grade == "B"
    with pytest.raises(ValueError):
        GradeThresholds(a=20, b=50, c=10)


def test_blend_weights() -> None:
    assert blend_score(0.8, 40.0, 0.0) == 40.0
    assert blend_score(0.8, 40.0, 1.0) == pytest.approx(80.0)
    assert blend_score(0.8, 40.0, 0.25) == pytest.approx(0.25 * 80 + 0.75 * 40)
    assert blend_score(None, 40.0, 0.7) == 40.0
    blended = blend_score(np.array([0.1, 0.9]), np.array([50.0, 50.0]), 0.5)
    np.testing.assert_allclose(blended, [30.0, 70.0])
    with pytest.raises(ValueError):
        blend_score(0.5, 50.0, 1.5)


def test_ruleset_config_round_trip() -> None:
    rules = RuleSet(
        [
            FieldRule("band", "custom_fields.budget", "between", 10, (1, 5)),
            FieldRule("src", "source", "in", 5, ("web", "fair")),
            EngagementRule("opens", 2, event_types=(EMAIL_OPEN,), within_days=30, max_points=10),
        ],
        base=5,
        half_life_days=21,
        grades=GradeThresholds(80, 60, 30),
    )
    assert RuleSet.from_dict(rules.to_dict()) == rules


def test_invalid_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        FieldRule("x", "country", "like", 1, "I%")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a number"):
        FieldRule("x", "employees", "gt", 1, "many")
