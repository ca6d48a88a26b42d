"""Lead scoring: a 0-100 score per lead from admin rules (fields and decaying engagement), a model learned from
won and lost deals, or their blend; grades A-D, a "who to call next" list, segments and an API.

``crm_leadscoring.rules``, ``predictive`` and ``auc`` work without a database.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from crm_leadscoring import hooks
from crmcore.plugins import Plugin

DEFAULT_RULES: dict[str, Any] = {
    "base": 10.0,
    "half_life_days": 30.0,
    "grades": {"a": 75.0, "b": 50.0, "c": 25.0},
    "rules": [
        {"type": "field", "label": "Has a phone number", "field": "has_phone", "op": "eq", "value": True,
         "points": 10},
        {"type": "field", "label": "Has an email address", "field": "has_email", "op": "eq", "value": True,
         "points": 5},
        {"type": "field", "label": "Came through a referral, fair or partner", "field": "source", "op": "in",
         "value": ["referral", "fair", "partner"], "points": 15},
        {"type": "engagement", "label": "Calls and meetings (90 days)", "points": 10, "event_types": ["touchpoint"],
         "channels": ["phone", "meeting"], "within_days": 90, "max_points": 30},
        {"type": "engagement", "label": "Messages and web visits (90 days)", "points": 5,
         "event_types": ["touchpoint"], "channels": ["email", "messenger", "web", "social"], "within_days": 90,
         "max_points": 15},
        {"type": "engagement", "label": "Email opens (30 days)", "points": 2, "event_types": ["email_open"],
         "within_days": 30, "max_points": 10},
        {"type": "engagement", "label": "Email clicks (30 days)", "points": 5, "event_types": ["email_click"],
         "within_days": 30, "max_points": 15},
    ],
}


def check_rules(value: dict[str, Any]) -> None:
    """Refuse rules that do not parse or name a field no lead has, with the rule's position."""
    from crm_leadscoring.columns import known_field
    from crm_leadscoring.rules import RuleSet

    if not isinstance(value.get("rules", []), list):
        raise ValidationError("rules must be a list.")
    for index, rule in enumerate(value.get("rules", [])):
        try:
            RuleSet.from_dict({"rules": [rule]})
        except (KeyError, TypeError, ValueError) as exc:
            reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValidationError(f"rule {index + 1}: {reason}") from exc
        if rule.get("type", "field") == "field" and not known_field(rule["field"]):
            raise ValidationError(f"rule {index + 1}: unknown field {rule['field']!r} (use a core field or "
                                  "custom_fields.<key>)")
    try:
        RuleSet.from_dict(value)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc


class LeadScoringSettings(Schema):
    mode = fields.String(load_default="blend", validate=validate.OneOf(["blend", "replace", "rules"]))
    model_weight = fields.Float(load_default=50.0, validate=validate.Range(min=0, max=100))
    model_kind = fields.String(load_default="logistic", validate=validate.OneOf(["logistic", "naive_bayes"]))
    min_leads = fields.Integer(load_default=50, validate=validate.Range(min=20))
    hot_threshold = fields.Float(load_default=70.0, validate=validate.Range(min=0, max=100))
    rules = fields.Dict(load_default=lambda: copy.deepcopy(DEFAULT_RULES), validate=check_rules)
    rescore_cron = fields.String(load_default="30 2 * * *", validate=validate.Length(min=9, max=100))
    train_cron = fields.String(load_default="0 2 * * 0", validate=validate.Length(min=9, max=100))


plugin = Plugin(
    name="leadscoring",
    title="Lead scoring",
    version="1.0.0",
    description="Scores leads 0-100 from rules and from won/lost history, and lists who to call next.",
    hooks=hooks,
    settings=LeadScoringSettings,
    migrations=Path(__file__).parent / "migrations",
)
