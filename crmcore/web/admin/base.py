"""Base classes of every admin screen: log-in, roles and the plugin gate in one place."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user

from crmcore import policy


class AccessMixin:
    """``area`` names the policy area the screen belongs to; ``plugin`` the plugin that contributed it."""

    area: str = "customers"
    plugin: str = "core"

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        crm = current_app.extensions["crm"]
        return crm.plugins.is_enabled(self.plugin) and policy.may_enter(current_user.user, self.area)

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        crm = current_app.extensions["crm"]
        abort(404 if not crm.plugins.is_enabled(self.plugin) else 403)


class SecureView(AccessMixin, BaseView):
    pass


class SecureModelView(AccessMixin, ModelView):
    """A list/detail screen of a model. Writes must go through a service: subclasses override
    ``create_model``, ``update_model`` and ``delete_model`` to call it, so every plugin sees every change."""

    can_view_details = True
    page_size = 50
    can_set_page_size = False


class DashboardView(AccessMixin, AdminIndexView):
    pass
