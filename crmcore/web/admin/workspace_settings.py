"""Workspace settings (admin only): a form generated from the workspace settings schema."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext

from crmcore.errors import ValidationFailed
from crmcore.web.admin.base import SecureView, acting_user, crm_runtime, flatten_errors
from crmcore.web.admin.plugins_screen import form_settings, setting_inputs
from crmcore.workspace import WorkspaceSettingsSchema


class WorkspaceSettingsView(SecureView):
    area = "settings"

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        service = crm_runtime().services.workspace
        if request.method == "GET":
            return self._render(service.values(), {})
        data = form_settings(WorkspaceSettingsSchema(), request.form)
        try:
            service.save(data, actor=acting_user())
        except ValidationFailed as exc:
            flash(gettext("The settings were not saved."), "error")
            return self._render(data, flatten_errors(exc.errors)), 422
        flash(gettext("Settings saved."), "success")
        return redirect(url_for(".index"))

    def _render(self, values: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        return self.render("crm/workspace_settings.html", inputs=setting_inputs(WorkspaceSettingsSchema(), values),
                           errors=errors)
