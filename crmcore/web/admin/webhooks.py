"""Webhooks (admin only): register a URL for chosen events (its secret shown once), pause, remove, and read
the delivery log with a button to send a failed delivery again."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext

from crmcore.errors import CRMError, NotFound, ValidationFailed
from crmcore.web.admin.base import SecureView, acting_user, crm_runtime, flatten_errors
from crmcore.web.formatting import format_when
from crmcore.webhooks import EVENTS, WebhookService


def _service() -> WebhookService:
    return WebhookService(crm_runtime())


class WebhooksView(SecureView):
    area = "settings"

    def _render(self, new_secret: str | None = None, errors: dict[str, list[str]] | None = None,
                submitted: dict[str, Any] | None = None, status: int = 200) -> Any:
        return self.render("crm/webhooks.html", webhooks=_service().list(actor=acting_user()), events=EVENTS,
                           new_secret=new_secret, errors=errors or {}, submitted=submitted or {}), status

    @expose("/")
    def index(self) -> Any:
        return self._render()

    @expose("/create", methods=("POST",))
    def create(self) -> Any:
        submitted = {"url": request.form.get("url", "").strip(), "events": request.form.getlist("events"),
                     "description": request.form.get("description", "").strip()}
        try:
            _webhook, secret = _service().create(submitted["url"], submitted["events"], submitted["description"],
                                                 actor=acting_user())
        except ValidationFailed as exc:
            flash(gettext("The webhook was not saved."), "error")
            return self._render(errors=flatten_errors(exc.errors), submitted=submitted, status=422)
        # Shown in this answer only: receivers need it to check signatures, and it is not shown again.
        flash(gettext("Webhook added."), "success")
        return self._render(new_secret=secret)

    @expose("/<int:webhook_id>/active", methods=("POST",))
    def set_active(self, webhook_id: int) -> Any:
        active = request.form.get("active") == "1"
        try:
            _service().set_active(webhook_id, active, actor=acting_user())
        except NotFound:
            abort(404)
        flash(gettext("Webhook resumed.") if active else gettext("Webhook paused."), "success")
        return redirect(url_for(".index"))

    @expose("/<int:webhook_id>/delete", methods=("POST",))
    def delete(self, webhook_id: int) -> Any:
        try:
            _service().delete(webhook_id, actor=acting_user())
        except NotFound:
            abort(404)
        flash(gettext("Webhook removed."), "success")
        return redirect(url_for(".index"))

    @expose("/<int:webhook_id>/")
    def deliveries(self, webhook_id: int) -> Any:
        service = _service()
        try:
            webhook = service.get(webhook_id, actor=acting_user())
        except NotFound:
            abort(404)
        return self.render("crm/webhook_deliveries.html", webhook=webhook, format_when=format_when,
                           deliveries=service.deliveries(webhook_id, limit=200, actor=acting_user()))

    @expose("/deliveries/<int:delivery_id>/again", methods=("POST",))
    def redeliver(self, delivery_id: int) -> Any:
        try:
            delivery = _service().redeliver(delivery_id, actor=acting_user())
        except NotFound:
            abort(404)
        except CRMError as exc:
            flash(exc.message, "error")
            return redirect(request.referrer or url_for(".index"))
        flash(gettext("The delivery was queued again."), "success")
        return redirect(url_for(".deliveries", webhook_id=delivery.webhook_id))
