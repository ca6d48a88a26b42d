"""The programme screen (admins): earning rules, tiers and rewards, each saved through LoyaltyService.

The forms only carry text and the CSRF token; the service validates, so a reason it gives lands beside the
field it names and a refused form writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from crm_loyalty.models import Reward, Tier
from crm_loyalty.services import LoyaltyService
from crmcore.errors import CRMError, NotFound, ValidationFailed
from crmcore.normalize import normalize_digits
from crmcore.web.admin.base import SecureView, acting_user, flatten_errors

ROUNDING = [("down", "Down"), ("half_up", "Half up"), ("up", "Up")]
BASIS = [("points", "Points earned in 12 months"), ("spend", "Money spent in 12 months")]
REWARD_KINDS = [("coupon", "Discount coupon"), ("free_delivery", "Free delivery"), ("gift", "Gift")]


class RulesForm(FlaskForm):
    name = StringField("Programme name")
    points_per_unit = StringField("Points for every unit spent")
    unit_amount = StringField("Unit (money spent)")
    rounding = SelectField("Rounding", choices=ROUNDING, validate_choice=False)
    step = StringField("Round to a multiple of (points)")
    points_per_purchase = StringField("Points per purchase")
    first_purchase_bonus = StringField("First purchase bonus (points)")
    birthday_month_bonus = StringField("Birthday month bonus (points)")
    bonus_segment = SelectField("Bonus segment", validate_choice=False)
    segment_multiplier = StringField("Multiplier for the bonus segment")
    validity_days = StringField("Points lapse after (days; empty: never)")
    point_value = StringField("Value of one point (money)")
    currency = StringField("Currency")


class TierForm(FlaskForm):
    name = StringField("Name (lower-case, e.g. gold)")
    basis = SelectField("Reached by", choices=BASIS, validate_choice=False)
    threshold = StringField("Threshold")
    multiplier = StringField("Earning multiplier")
    benefits = TextAreaField("Benefits")


class RewardForm(FlaskForm):
    name = StringField("Name")
    kind = SelectField("Kind", choices=REWARD_KINDS, validate_choice=False)
    cost_points = StringField("Cost (points)")
    discount_percent = StringField("Discount (%)")
    discount_amount = StringField("Discount (money)")
    description = TextAreaField("Description")
    active = BooleanField("Offered at the counter", default=True)


def _number(value: Any) -> str:
    return normalize_digits(str(value if value is not None else "")).strip()


def _integer(value: Any) -> int | str:
    """A whole number when the text is one; otherwise the text, for the service to refuse by name."""
    text = _number(value)
    return int(text) if re.fullmatch(r"-?\d{1,15}", text) else text


def _values(form: FlaskForm, integers: tuple[str, ...] = (), decimals: tuple[str, ...] = (),
            optional: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in form._fields.items():
        if name == "csrf_token":
            continue
        value = field.data
        if name in integers:
            value = _integer(value)
        elif name in decimals:
            value = _number(value)
        elif isinstance(value, str):
            value = value.strip()
        values[name] = None if name in optional and value == "" else value
    return values


def _show_errors(form: FlaskForm, exc: CRMError) -> None:
    """Each reason beside the field it names; reasons for no field of the form go in the message."""
    if not isinstance(exc, ValidationFailed):
        flash(exc.message, "error")
        return
    leftover = []
    for key, reasons in flatten_errors(exc.errors).items():
        field = form._fields.get(key.split(".")[0])
        if field is not None and field.name != "csrf_token":
            field.errors = [*field.errors, *reasons]
        else:
            leftover.append(f"{key}: {'; '.join(reasons)}")
    flash(" ".join(["Please correct the fields marked below.", *leftover]), "error")


class ProgrammeView(SecureView):
    area = "settings"

    @property
    def service(self) -> LoyaltyService:
        return LoyaltyService(current_app.extensions["crm"])

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        service = self.service
        with service.crm.db.session() as session:
            programme = service.programme(session)
        form = RulesForm(obj=programme)
        segments = sorted(service.crm.segments.all().items())
        form.bonus_segment.choices = [("", "None"), *((key, f"{segment.title} ({key})") for key, segment in segments)]
        if programme.bonus_segment and programme.bonus_segment not in dict(segments):
            form.bonus_segment.choices.append((programme.bonus_segment, f"{programme.bonus_segment} (not offered now)"))
        if form.validate_on_submit():
            data = _values(form, integers=("step", "points_per_purchase", "first_purchase_bonus",
                                           "birthday_month_bonus", "validity_days"),
                           decimals=("points_per_unit", "unit_amount", "segment_multiplier", "point_value"),
                           optional=("validity_days", "bonus_segment"))
            try:
                service.configure(data, actor=acting_user())
            except CRMError as exc:
                _show_errors(form, exc)
            else:
                flash("Earning rules saved.", "success")
                return redirect(url_for(".index"))
        return self.render("loyalty/programme.html", form=form, tiers=service.tiers(), rewards=service.rewards())

    def _record(self, model: type, record_id: int | None) -> Any:
        if record_id is None:
            return None
        with self.service.crm.db.session() as session:
            record = session.scalar(select(model).where(model.id == record_id))
        if record is None:
            abort(404)
        return record

    def _edit(self, form: FlaskForm, record: Any, add: Callable[..., Any], update: Callable[..., Any], template: str,
              saved: str, **conversions: Any) -> Any:
        """The form of a new ``record`` (None) saved with ``add``, or of an existing one saved with ``update``."""
        if form.validate_on_submit():
            values, actor = _values(form, **conversions), acting_user()
            try:
                if record is None:
                    add(values, actor=actor)
                else:
                    update(record.id, values, actor=actor)
            except NotFound:
                abort(404)
            except CRMError as exc:
                _show_errors(form, exc)
            else:
                flash(saved, "success")
                return redirect(url_for(".index"))
        return self.render(template, form=form, record=record)

    @expose("/tier/new", methods=("GET", "POST"))
    @expose("/tier/<int:tier_id>", methods=("GET", "POST"))
    def tier(self, tier_id: int | None = None) -> Any:
        tier = self._record(Tier, tier_id)
        return self._edit(TierForm(obj=tier), tier, self.service.add_tier, self.service.update_tier,
                          "loyalty/tier_edit.html", "Tier saved.", decimals=("threshold", "multiplier"))

    @expose("/reward/new", methods=("GET", "POST"))
    @expose("/reward/<int:reward_id>", methods=("GET", "POST"))
    def reward(self, reward_id: int | None = None) -> Any:
        reward = self._record(Reward, reward_id)
        form = RewardForm(obj=reward)
        if request.method == "GET" and reward is None:
            form.active.data = True
        return self._edit(form, reward, self.service.add_reward, self.service.update_reward,
                          "loyalty/reward_edit.html", "Reward saved.", integers=("cost_points",),
                          decimals=("discount_percent", "discount_amount"),
                          optional=("discount_percent", "discount_amount"))
