"""The one view of a customer: profile, contact people, the timeline across channels, deals, tasks, the panels
enabled plugins contribute, and quick actions (log a call, visit or email; add a task; open a deal)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from sqlalchemy import and_, or_, select

from crmcore import policy
from crmcore.errors import CRMError, PermissionDenied, ValidationFailed
from crmcore.models import Channel, Contact, Customer, Deal, DealStatus, Pipeline, Task, Touchpoint
from crmcore.normalize import normalize_digits
from crmcore.web.admin.base import HiddenView, acting_user, crm_runtime, flatten_errors, user_names
from crmcore.web.admin.forms import channel_choices, direction_choices, lifecycle_choices
from crmcore.web.contributions import customer_panels
from crmcore.web.formatting import format_money, format_when

TIMELINE_PAGE = 25
DEALS_SHOWN = 50
QUICK_CHANNELS = (Channel.PHONE, Channel.MEETING, Channel.EMAIL)


def _cursor(touchpoint: Touchpoint) -> str:
    return f"{touchpoint.occurred_at.isoformat()}~{touchpoint.id}"


def _parse_cursor(raw: str | None) -> tuple[datetime, int] | None:
    if not raw or "~" not in raw:
        return None
    when, _, ident = raw.rpartition("~")
    try:
        return datetime.fromisoformat(when), int(ident)
    except ValueError:
        return None


class CustomerPage(HiddenView):
    area = "customers"

    def _load(self, session: Any, customer_id: int) -> Customer:
        customer = session.get(Customer, customer_id)
        if customer is None:
            abort(404)
        try:
            policy.require_record(acting_user(), crm_runtime().settings, customer)
        except PermissionDenied:
            abort(403)
        return customer

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("customers.index_view"))

    @expose("/<int:customer_id>/")
    def show(self, customer_id: int) -> Any:
        crm = crm_runtime()
        with crm.db.session() as session:
            customer = self._load(session, customer_id)
            contacts = session.scalars(select(Contact).where(Contact.customer_id == customer_id)
                                       .order_by(Contact.id).limit(100)).all()
            timeline = select(Touchpoint).where(Touchpoint.customer_id == customer_id)
            cursor = _parse_cursor(request.args.get("before"))
            if cursor is not None:
                when, ident = cursor
                timeline = timeline.where(or_(Touchpoint.occurred_at < when,
                                              and_(Touchpoint.occurred_at == when, Touchpoint.id < ident)))
            touchpoints = session.scalars(timeline.order_by(Touchpoint.occurred_at.desc(), Touchpoint.id.desc())
                                          .limit(TIMELINE_PAGE + 1)).all()
            more = len(touchpoints) > TIMELINE_PAGE
            touchpoints = touchpoints[:TIMELINE_PAGE]
            deals = _open_deals_then_newest(session, customer_id, DEALS_SHOWN)
            tasks = session.scalars(select(Task).where(Task.customer_id == customer_id)
                                    .order_by(Task.done_at.is_not(None), Task.due_on, Task.id).limit(50)).all()
            pipelines = session.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.id)).all()
            stages = [(stage.id, f"{pipeline.name} · {stage.name}") for pipeline in pipelines
                      for stage in pipeline.stages if not (stage.is_won or stage.is_lost)]
            contact_names = {contact.id: contact.full_name for contact in contacts}
            panels = customer_panels(crm, customer, acting_user())
            return self.render(
                "crm/customer.html", customer=customer, contacts=contacts, touchpoints=touchpoints,
                next_cursor=_cursor(touchpoints[-1]) if more else None, deals=deals, tasks=tasks, panels=panels,
                stages=stages, contact_names=contact_names, users=user_names(), format_when=format_when,
                format_money=format_money, channels=channel_choices(), directions=direction_choices(),
                quick_channels=[c.value for c in QUICK_CHANNELS], today=datetime.now(UTC).date(),
                channel_names=dict(channel_choices()), direction_names=dict(direction_choices()),
                stage_names=dict(lifecycle_choices()),
            )

    # -- quick actions: small forms posting to the services ----------------------------------------

    def _back(self, customer_id: int, anchor: str = "") -> Any:
        return redirect(url_for(".show", customer_id=customer_id) + anchor)

    def _attempt(self, customer_id: int, call: Any, done: str, anchor: str) -> Any:
        try:
            call()
        except CRMError as exc:
            reasons = flatten_errors(exc.errors) if isinstance(exc, ValidationFailed) else {}
            detail = " ".join(f"{field}: {'; '.join(r)}" for field, r in reasons.items())
            flash(f"{exc.message} {detail}".strip(), "error")
        else:
            flash(done, "success")
        return self._back(customer_id, anchor)

    @expose("/<int:customer_id>/touchpoint", methods=("POST",))
    def log_touchpoint(self, customer_id: int) -> Any:
        form = request.form
        data = {"customer_id": customer_id, "channel": form.get("channel", ""),
                "direction": form.get("direction") or "outbound", "subject": form.get("subject", ""),
                "notes": form.get("notes") or None, "outcome": form.get("outcome") or None}
        if form.get("contact_id", "").isdigit():
            data["contact_id"] = int(form["contact_id"])
        return self._attempt(customer_id, lambda: crm_runtime().services.touchpoints.record(data, actor=acting_user()),
                             gettext("Logged on the timeline."), "#timeline")

    @expose("/<int:customer_id>/task", methods=("POST",))
    def add_task(self, customer_id: int) -> Any:
        form = request.form
        data = {"customer_id": customer_id, "title": form.get("title", ""),
                "due_on": normalize_digits(form.get("due_on", "")).strip() or None,
                "notes": form.get("notes") or None}
        return self._attempt(customer_id, lambda: crm_runtime().services.tasks.create(data, actor=acting_user()),
                             gettext("Task added."), "#tasks")

    @expose("/<int:customer_id>/deal", methods=("POST",))
    def open_deal(self, customer_id: int) -> Any:
        form = request.form
        data: dict[str, Any] = {"customer_id": customer_id, "title": form.get("title", "")}
        amount = normalize_digits(form.get("amount", "")).strip()
        if amount:
            data["amount"] = amount
        if form.get("currency"):
            data["currency"] = form["currency"]
        stage_id = form.get("stage_id", "")
        if stage_id.isdigit():
            with crm_runtime().db.session() as session:
                from crmcore.models import Stage

                stage = session.get(Stage, int(stage_id))
                if stage is not None:
                    data.update(stage_id=stage.id, pipeline_id=stage.pipeline_id)
        return self._attempt(customer_id, lambda: crm_runtime().services.deals.create(data, actor=acting_user()),
                             gettext("Deal opened."), "#deals")

    @expose("/<int:customer_id>/contact", methods=("POST",))
    def add_contact(self, customer_id: int) -> Any:
        form = request.form
        data: dict[str, Any] = {"customer_id": customer_id, "first_name": form.get("first_name", ""),
                                "last_name": form.get("last_name") or None, "position": form.get("position") or None}
        if form.get("email", "").strip():
            data["emails"] = [form["email"].strip()]
        if form.get("phone", "").strip():
            data["phones"] = [form["phone"].strip()]
        return self._attempt(customer_id, lambda: crm_runtime().services.contacts.create(data, actor=acting_user()),
                             gettext("Contact added."), "#contacts")

    @expose("/<int:customer_id>/task/<int:task_id>/done", methods=("POST",))
    def complete_task(self, customer_id: int, task_id: int) -> Any:
        return self._attempt(customer_id, lambda: crm_runtime().services.tasks.complete(task_id, actor=acting_user()),
                             gettext("Task done."), "#tasks")


def _open_deals_then_newest(session: Any, customer_id: int, limit: int) -> list[Deal]:
    """Open deals first, then the newest closed ones: two index reads, never a sort of every deal a key
    account has had (tens of thousands)."""
    open_deals = session.scalars(select(Deal).where(Deal.customer_id == customer_id, Deal.status == DealStatus.OPEN)
                                 .order_by(Deal.id.desc()).limit(limit)).all()
    if len(open_deals) >= limit:
        return list(open_deals)
    closed = session.scalars(select(Deal).where(Deal.customer_id == customer_id, Deal.status != DealStatus.OPEN)
                             .order_by(Deal.id.desc()).limit(limit - len(open_deals))).all()
    return [*open_deals, *closed]
