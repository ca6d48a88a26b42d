"""Staff screens: the counter (find a member, redeem in two taps, accept a code) and the programme report."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import select

from crm_loyalty import queries
from crm_loyalty.cards import card_qr_svg, format_card_number
from crm_loyalty.models import Member, Reward, Tier
from crm_loyalty.services import LoyaltyService
from crmcore import policy
from crmcore.errors import CRMError, ValidationFailed
from crmcore.models import Customer
from crmcore.web.admin.base import SecureView
from crmcore.web.auth import acting_user


def _crm() -> Any:
    return current_app.extensions["crm"]


def _message(exc: CRMError) -> str:
    return str(exc) if isinstance(exc, ValidationFailed) else exc.message


class CounterView(SecureView):
    area = "customers"

    @expose("/")
    def index(self) -> Any:
        query = request.args.get("q", "").strip()
        found = LoyaltyService(_crm()).find(query) if query else []
        if len(found) == 1:
            return redirect(url_for(".member", member_id=found[0][0].id))
        return self.render("loyalty/counter.html", query=query, found=found)

    def _load(self, member_id: int) -> tuple[Member, Customer, Tier | None, list[Reward]]:
        with _crm().db.session() as session:
            row = session.execute(select(Member, Customer, Tier).join(Customer, Customer.id == Member.customer_id)
                                  .outerjoin(Tier, Tier.id == Member.tier_id).where(Member.id == member_id)).first()
            if row is None:
                abort(404)
            rewards = list(session.scalars(select(Reward).where(Reward.programme_id == row[0].programme_id,
                                                                Reward.active.is_(True))
                                           .order_by(Reward.cost_points)))
        try:
            policy.require_record(acting_user(), _crm().settings, row[1])
        except CRMError:
            abort(403)
        return row[0], row[1], row[2], rewards

    @expose("/member/<int:member_id>")
    def member(self, member_id: int) -> Any:
        member, customer, tier, rewards = self._load(member_id)
        return self.render("loyalty/member.html", member=member, customer=customer, tier=tier, rewards=rewards,
                           card=format_card_number(member.card_number),
                           may_adjust=policy.may_enter(acting_user(), "reports"))

    @expose("/member/<int:member_id>/redeem/<int:reward_id>", methods=["POST"])
    def redeem(self, member_id: int, reward_id: int) -> Any:
        self._load(member_id)
        try:
            result = LoyaltyService(_crm()).redeem(member_id, reward_id, actor=acting_user())
        except CRMError as exc:
            flash(_message(exc), "error")
            return redirect(url_for(".member", member_id=member_id))
        return self.render("loyalty/redeemed.html", result=result, member_id=member_id)

    @expose("/member/<int:member_id>/adjust", methods=["POST"])
    def adjust(self, member_id: int) -> Any:
        self._load(member_id)
        points = request.form.get("points", "").strip()
        data = {"points": int(points) if points.lstrip("-").isdigit() else points,
                "reason": request.form.get("reason", "")}
        try:
            LoyaltyService(_crm()).adjust(member_id, data, actor=acting_user())
            flash("Points adjusted.", "success")
        except CRMError as exc:
            flash(_message(exc), "error")
        return redirect(url_for(".member", member_id=member_id))

    @expose("/member/<int:member_id>/card")
    def card(self, member_id: int) -> Any:
        member, customer, tier, _ = self._load(member_id)
        return self.render("loyalty/card_print.html", customer=customer, tier=tier,
                           card=format_card_number(member.card_number),
                           qr=Markup(card_qr_svg(member.card_number, scale=6)))  # noqa: S704 - digits only

    @expose("/code", methods=["POST"])
    def use_code(self) -> Any:
        try:
            LoyaltyService(_crm()).use_code(request.form.get("code", ""), actor=acting_user())
            flash("Code accepted.", "success")
        except CRMError as exc:
            flash(_message(exc), "error")
        return redirect(url_for(".index"))


class ReportView(SecureView):
    area = "reports"

    @expose("/")
    def index(self) -> Any:
        crm = _crm()
        with crm.db.session() as session:
            figures = queries.report(session, crm.plugins.settings("loyalty")["active_days"])
        return self.render("loyalty/report.html", report=figures)
