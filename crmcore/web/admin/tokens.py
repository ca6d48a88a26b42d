"""Personal API tokens: create one (shown once), see yours, revoke."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from sqlalchemy import select

from crmcore.errors import CRMError
from crmcore.models import ApiToken
from crmcore.web.admin.base import SecureView, acting_user, crm_runtime


class TokensView(SecureView):
    area = "customers"

    def _tokens(self) -> list[ApiToken]:
        with crm_runtime().db.session() as session:
            return list(session.scalars(select(ApiToken).where(ApiToken.user_id == acting_user().id)
                                        .order_by(ApiToken.id.desc()).limit(200)))

    @expose("/")
    def index(self) -> Any:
        return self.render("imports/tokens.html", tokens=self._tokens(), new_token=None)

    @expose("/create", methods=("POST",))
    def create(self) -> Any:
        actor = acting_user()
        days = request.form.get("days", "90")
        try:
            token, _record = crm_runtime().services.users.create_token(
                actor.id, request.form.get("name", ""), int(days) if days.isdigit() and len(days) < 6 else 0,
                actor=actor)
        except CRMError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        # Shown in this answer only: it is not stored, so it cannot be shown again.
        return self.render("imports/tokens.html", tokens=self._tokens(), new_token=token)

    @expose("/<int:token_id>/revoke", methods=("POST",))
    def revoke(self, token_id: int) -> Any:
        actor = acting_user()
        if token_id not in {t.id for t in self._tokens()}:
            flash(gettext("No such token."), "error")
            return redirect(url_for(".index"))
        crm_runtime().services.users.revoke_token(token_id, actor=actor)
        flash(gettext("The token was revoked."), "success")
        return redirect(url_for(".index"))
