"""Screens: campaign list, editor with preview, audience count, schedule, live progress and stats;
the customer-page panel and the dashboard widget."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, flash, jsonify, redirect, render_template, request
from flask_admin import expose
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import (
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crmcore.errors import CRMError, ValidationFailed
from crmcore.web.admin.base import SecureView
from crmcore.web.auth import acting_user
from crmcore.web.contributions import Panel, Widget

from .models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from .services import AREA, CampaignService, parse_when
from .stats import chart_svg

if TYPE_CHECKING:
    from crmcore.models import Customer
    from crmcore.runtime import CRM

FIELDS = ("name", "from_email", "from_name", "reply_to", "subject", "subject_b", "ab_sample_percent", "ab_metric",
          "ab_wait_minutes", "segment_keys", "html", "text")


class CampaignForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    from_email = EmailField("From address", validators=[DataRequired(), Length(max=254)])
    from_name = StringField("From name", validators=[Optional(), Length(max=200)])
    reply_to = EmailField("Reply-to address", validators=[Optional(), Length(max=254)])
    subject = StringField("Subject", validators=[DataRequired(), Length(max=998)])
    subject_b = StringField("Second subject (A/B test)", validators=[Optional(), Length(max=998)])
    ab_sample_percent = IntegerField("A/B sample (% of the audience)", default=20,
                                     validators=[NumberRange(min=2, max=50)])
    ab_metric = SelectField("A/B winner by", choices=[SelectChoice("opens", "Opens"), SelectChoice("clicks", "Clicks")],
                            default="opens")
    ab_wait_minutes = IntegerField("A/B test duration (minutes)", default=240,
                                   validators=[NumberRange(min=1, max=10080)])
    segment_keys = SelectMultipleField("Segments", validators=[DataRequired()])
    html = TextAreaField("HTML body", validators=[Length(max=500_000)])
    text = TextAreaField("Text body (derived from the HTML when empty)", validators=[Length(max=500_000)])


class ScheduleForm(FlaskForm):
    scheduled_at = DateTimeLocalField("Send at (UTC, empty: now)", format="%Y-%m-%dT%H:%M",
                                      validators=[Optional()])


class CustomerForm(FlaskForm):
    customer_id = IntegerField("Recipient (customer id)", validators=[DataRequired(), NumberRange(min=1)])


class CampaignAdmin(SecureView):
    area = AREA

    @property
    def crm(self) -> CRM:
        return current_app.extensions["crm"]

    @property
    def service(self) -> CampaignService:
        return CampaignService(self.crm)

    @expose("/")
    def index(self) -> str:
        before = request.args.get("before", type=int)
        campaigns = self.service.list(before_id=before, limit=50)
        next_before = campaigns[-1].id if len(campaigns) == 50 else None
        return self.render("email_marketing/campaign_list.html", campaigns=campaigns, next_before=next_before)

    def _form(self, campaign: Campaign | None = None) -> CampaignForm:
        form = CampaignForm(obj=campaign)
        if campaign is None and request.method == "GET":
            form.from_email.data = self.crm.settings.mail_from
        form.segment_keys.choices = [SelectChoice(key, segment.title)
                                     for key, segment in sorted(self.crm.segments.all().items())]
        return form

    def _save(self, form: CampaignForm, campaign_id: int | None) -> Any:
        data = {name: getattr(form, name).data for name in FIELDS}
        data["reply_to"] = data["reply_to"] or None
        data["subject_b"] = data["subject_b"] or None
        data["from_name"] = data["from_name"] or ""
        data["html"], data["text"] = data["html"] or "", data["text"] or ""
        try:
            if campaign_id is None:
                campaign = self.service.create(data, actor=acting_user())
            else:
                campaign = self.service.update(campaign_id, data, actor=acting_user())
        except ValidationFailed as exc:
            for field, reasons in exc.errors.items():
                target = getattr(form, field, None)
                messages = reasons if isinstance(reasons, list) else [str(reasons)]
                if target is not None:
                    target.errors = [*target.errors, *map(str, messages)]
                else:
                    flash(f"{field}: {'; '.join(map(str, messages))}", "error")
            return None
        except CRMError as exc:
            flash(exc.message, "error")
            return None
        flash("Campaign saved.", "success")
        return redirect(self.get_url(".detail", campaign_id=campaign.id))

    @expose("/new", methods=("GET", "POST"))
    def new(self) -> Any:
        form = self._form()
        if form.validate_on_submit():
            saved = self._save(form, None)
            if saved is not None:
                return saved
        return self.render("email_marketing/campaign_edit.html", form=form, campaign=None)

    @expose("/<int:campaign_id>/edit", methods=("GET", "POST"))
    def edit(self, campaign_id: int) -> Any:
        campaign = self.service.get(campaign_id)
        form = self._form(campaign)
        if form.validate_on_submit():
            saved = self._save(form, campaign_id)
            if saved is not None:
                return saved
        return self.render("email_marketing/campaign_edit.html", form=form, campaign=campaign)

    @expose("/<int:campaign_id>")
    def detail(self, campaign_id: int) -> Any:
        campaign = self.service.get(campaign_id)
        audience = None
        if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            try:
                audience = self.service.audience_count(campaign.segment_keys)
            except CRMError as exc:
                flash(exc.message, "error")
        preview = None
        preview_form = CustomerForm(request.args, meta={"csrf": False})
        if request.args.get("customer_id") and preview_form.validate():
            try:
                preview = self.service.preview(campaign_id, preview_form.customer_id.data, actor=acting_user())
            except CRMError as exc:
                flash(str(exc), "error")
        progress = self.service.progress(campaign_id)
        return self.render("email_marketing/campaign_detail.html", campaign=campaign, audience=audience,
                           preview=preview, preview_form=preview_form, test_form=CustomerForm(),
                           schedule_form=ScheduleForm(), progress=progress, chart=chart_svg(progress))

    @expose("/<int:campaign_id>/progress")
    def progress(self, campaign_id: int) -> Any:
        return jsonify(self.service.progress(campaign_id))

    @expose("/<int:campaign_id>/test", methods=("POST",))
    def send_test(self, campaign_id: int) -> Any:
        form = CustomerForm()
        if form.validate_on_submit():
            user = acting_user()
            try:
                result = self.service.send_test(campaign_id, form.customer_id.data, user.email, actor=user)
            except CRMError as exc:
                flash(str(exc), "error")
            else:
                if result.sent:
                    flash(f"Test sent to {user.email}.", "success")
                else:
                    flash(f"The mail server refused the test: {result.code or ''} {result.message}", "error")
        return redirect(self.get_url(".detail", campaign_id=campaign_id))

    @expose("/<int:campaign_id>/<any(schedule, unschedule, pause, resume, cancel, delete):action>",
            methods=("POST",))
    def act(self, campaign_id: int, action: str) -> Any:
        form = ScheduleForm()
        if not form.validate_on_submit():
            flash("The form expired; reload the page and try again.", "error")
            return redirect(self.get_url(".detail", campaign_id=campaign_id))
        user = acting_user()
        try:
            if action == "schedule":
                when = form.scheduled_at.data
                self.service.schedule(campaign_id, parse_when(when.isoformat() if when else None), actor=user)
                flash("Campaign scheduled." if when else "Sending started.", "success")
            elif action == "delete":
                self.service.delete(campaign_id, actor=user)
                flash("Campaign deleted.", "success")
                return redirect(self.get_url(".index"))
            else:
                getattr(self.service, action)(campaign_id, actor=user)
                flash(f"Campaign: {action} done.", "success")
        except CRMError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".detail", campaign_id=campaign_id))


def customer_panel(crm: CRM, customer: Customer) -> Panel | None:
    rows = CampaignService(crm).for_customer(customer.id, limit=10)
    if not rows:
        return None
    html = render_template("email_marketing/customer_panel.html", rows=rows)
    return Panel(title="Email campaigns", html=Markup(html), order=60)  # noqa: S704 - an autoescaped template


def dashboard_widget(crm: CRM) -> Widget:
    with crm.db.session() as session:
        active = session.scalar(select(func.count()).select_from(Campaign)
                                .where(Campaign.status.in_([CampaignStatus.SENDING, CampaignStatus.TESTING,
                                                            CampaignStatus.SCHEDULED]))) or 0
        latest = session.execute(select(Campaign.id, Campaign.name).where(Campaign.status == CampaignStatus.SENT)
                                 .order_by(Campaign.id.desc()).limit(1)).first()
        queued = session.scalar(select(func.count()).select_from(Delivery)
                                .where(Delivery.status == DeliveryStatus.QUEUED.value)) or 0
    progress = CampaignService(crm).progress(latest.id) if latest else None
    html = render_template("email_marketing/widget.html", active=active, queued=queued, latest=latest,
                           progress=progress)
    return Widget(title="Email campaigns", html=Markup(html), order=60)  # noqa: S704 - an autoescaped template
