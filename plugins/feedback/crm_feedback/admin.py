"""Staff screens: feedback items (list, add, send NPS surveys) and the ideas board."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select

from crm_feedback import priority
from crm_feedback.models import IdeaStatus, Item, Kind, Sentiment
from crm_feedback.services import FeedbackService
from crmcore import policy
from crmcore.errors import CRMError, ValidationFailed
from crmcore.models import Customer, Product
from crmcore.web.admin.base import SecureView
from crmcore.web.auth import acting_user

PAGE = 50


def _crm() -> Any:
    return current_app.extensions["crm"]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _message(exc: CRMError) -> str:
    return str(exc) if isinstance(exc, ValidationFailed) else exc.message


class FeedbackView(SecureView):
    area = "customers"

    @expose("/")
    def index(self) -> Any:
        product_id, before = _int(request.args.get("product_id")), _int(request.args.get("before"))
        kind = request.args.get("kind") if request.args.get("kind") in {k.value for k in Kind} else None
        query = (select(Item, Customer.name, Product.name).outerjoin(Customer, Customer.id == Item.customer_id)
                 .outerjoin(Product, Product.id == Item.product_id).order_by(Item.id.desc()).limit(PAGE))
        if product_id:
            query = query.where(Item.product_id == product_id)
        if kind:
            query = query.where(Item.kind == kind)
        if before:
            query = query.where(Item.id < before)
        if policy.owns_only(acting_user(), _crm().settings):
            query = query.where(Customer.owner_id == acting_user().id)
        with _crm().db.session() as session:
            rows = session.execute(query).all()
            products = session.execute(select(Product.id, Product.name).order_by(Product.name).limit(500)).all()
        segments = sorted(_crm().segments.all()) if policy.may_enter(acting_user(), "reports") else []
        return self.render("feedback/items.html", rows=rows, products=products, kinds=[k.value for k in Kind],
                           sentiments=[s.value for s in Sentiment], product_id=product_id, kind=kind,
                           next_before=rows[-1][0].id if len(rows) == PAGE else None, segments=segments)

    @expose("/add", methods=["POST"])
    def add(self) -> Any:
        form = request.form
        data = {"customer_id": _int(form.get("customer_id")), "product_id": _int(form.get("product_id")),
                "touchpoint_id": _int(form.get("touchpoint_id")), "feature": form.get("feature") or None,
                "kind": form.get("kind", ""), "sentiment": form.get("sentiment", "neutral"),
                "text": form.get("text", "").strip()}
        try:
            FeedbackService(_crm()).record(data, actor=acting_user())
            flash("Feedback recorded.", "success")
        except CRMError as exc:
            flash(_message(exc), "error")
        return redirect(url_for(".index"))

    @expose("/nps", methods=["POST"])
    def nps(self) -> Any:
        crm = _crm()
        if not policy.may_enter(acting_user(), "reports"):
            flash("You are not allowed to do this.", "error")
            return redirect(url_for(".index"))
        if not crm.plugins.is_enabled("email_marketing"):
            flash("Email marketing is not enabled, so no NPS survey was sent. Enable it to send surveys.", "error")
            return redirect(url_for(".index"))
        key = request.form.get("segment", "")
        try:
            crm.segments.get(key)
            crm.jobs.enqueue("crm_feedback.jobs:send_nps_to_segment", segment_key=key, plugin="feedback")
            flash("The NPS survey is being sent to this segment.", "success")
        except CRMError as exc:
            flash(_message(exc), "error")
        return redirect(url_for(".index"))


class IdeasView(SecureView):
    area = "catalog"

    @expose("/")
    def index(self) -> Any:
        with _crm().db.session() as session:
            ranked = priority.rank(_crm(), session)
            products = dict(session.execute(select(Product.id, Product.name)).all()) if ranked else {}
        return self.render("feedback/ideas.html", ranked=ranked, products=products,
                           statuses=[s.value for s in IdeaStatus])

    def _do(self, action: Any, success: str) -> Any:
        try:
            result = action()
            flash(success.format(result=result), "success")
        except CRMError as exc:
            flash(_message(exc), "error")
        return redirect(url_for(".index"))

    @expose("/new", methods=["POST"])
    def new(self) -> Any:
        data = {"title": request.form.get("title", "").strip(), "description": request.form.get("description", ""),
                "product_id": _int(request.form.get("product_id"))}
        return self._do(lambda: FeedbackService(_crm()).create_idea(data, actor=acting_user()), "Idea added.")

    @expose("/<int:idea_id>/merge", methods=["POST"])
    def merge(self, idea_id: int) -> Any:
        raw = request.form.get("item_ids", "").replace(",", " ").split()
        ids: list[Any] = [int(x) if x.isdigit() else x for x in raw]
        return self._do(lambda: FeedbackService(_crm()).merge(ids, idea_id, actor=acting_user()),
                        "{result} requests merged.")

    @expose("/<int:idea_id>/deal", methods=["POST"])
    def deal(self, idea_id: int) -> Any:
        deal_id = _int(request.form.get("deal_id"))
        return self._do(lambda: FeedbackService(_crm()).link_deal(idea_id, deal_id, actor=acting_user()),
                        "Deal linked.")

    @expose("/<int:idea_id>/status", methods=["POST"])
    def status(self, idea_id: int) -> Any:
        def change() -> str:
            notified = FeedbackService(_crm()).set_status(idea_id, request.form.get("status", ""),
                                                          actor=acting_user())
            if notified is None:
                return "Status changed."
            return (f"Shipped: {notified.emailed} customers emailed, "
                    f"{notified.tasks} tasks created for their owners.")

        return self._do(change, "{result}")
