"""Pages outside the admin: the member's card on a phone, opened through a signed link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from markupsafe import Markup
from sqlalchemy import select

from crm_loyalty.cardlinks import read_card_token
from crm_loyalty.cards import card_qr_svg, format_card_number
from crm_loyalty.models import Member, Tier
from crmcore.web.auth import public

blueprint = Blueprint("loyalty_pages", __name__, url_prefix="/loyalty", template_folder="templates")


@blueprint.get("/card/<token>")
@public
def phone_card(token: str) -> Any:
    crm = current_app.extensions["crm"]
    found = read_card_token(crm.settings.secret_key, token)
    if found is None:
        abort(404)
    member_id, card_number = found
    with crm.db.session() as session:
        row = session.execute(select(Member.card_number, Member.balance, Tier.name)
                              .outerjoin(Tier, Tier.id == Member.tier_id).where(Member.id == member_id)).first()
    if row is None or row.card_number != card_number:
        abort(404)
    response = current_app.make_response(render_template(
        "loyalty/phone_card.html", card=format_card_number(row.card_number), balance=row.balance, tier=row.name,
        qr=Markup(card_qr_svg(row.card_number, scale=8))))  # noqa: S704 - SVG generated here from digits only
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
