"""Public pages reached from emails: unsubscribe (RFC 8058), the open pixel and click redirects.

Every token is verified before the database is touched; anything that is not one of our tokens for that
purpose, or names no delivery or link, is a 404 (never a redirect elsewhere).
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request

from crmcore.web.app import csrf
from crmcore.web.auth import public

from . import tracking
from .settings import URL_PREFIX, tracking_tokens

blueprint = Blueprint("email_marketing_public", __name__, url_prefix=URL_PREFIX, template_folder="templates")

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store, private", "X-Robots-Tag": "noindex, nofollow"}


def _crm() -> Any:
    return current_app.extensions["crm"]


def _delivery_id(verified: Any) -> int:
    """Only real deliveries have integer ids; test sends and previews use strings and lead nowhere."""
    if not isinstance(verified, int) or isinstance(verified, bool):
        abort(404)
    return verified


@blueprint.route("/u/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token: str) -> Any:
    """GET shows a confirmation whose button posts; POST (the button, or a mail client's One-Click
    ``List-Unsubscribe=One-Click`` request per RFC 8058) unsubscribes. Link scanners only GET."""
    crm = _crm()
    delivery_id = _delivery_id(tracking_tokens(crm).verify_unsubscribe(token))
    if request.method == "GET":
        if not tracking.delivery_exists(crm, delivery_id):
            abort(404)
        return render_template("email_marketing/unsubscribe.html", done=False, token=token), 200, _NO_STORE
    if not tracking.unsubscribe(crm, delivery_id):
        abort(404)
    return render_template("email_marketing/unsubscribe.html", done=True, token=token), 200, _NO_STORE


@blueprint.get("/o/<token>")
@public
def open_pixel(token: str) -> Any:
    crm = _crm()
    delivery_id = _delivery_id(tracking_tokens(crm).verify_open(token))
    if not tracking.record_open(crm, delivery_id):
        abort(404)
    return _PIXEL, 200, {"Content-Type": "image/gif", **_NO_STORE}


@blueprint.get("/c/<token>")
@public
def click(token: str) -> Any:
    crm = _crm()
    verified = tracking_tokens(crm).verify_click(token)
    if verified is None:
        abort(404)
    target = tracking.click_target(crm, _delivery_id(verified.delivery_id), verified.link_index)
    if target is None:
        abort(404)
    return redirect(target, code=302), 302, _NO_STORE
