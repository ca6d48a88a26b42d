"""Flask-Admin set-up: the core's screens plus the views every installed plugin contributes."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext
from sqlalchemy.orm import scoped_session

from crmcore.runtime import CRM
from crmcore.web.admin.dashboard import CrmDashboard


def init_admin(app: Flask, crm: CRM) -> Admin:
    scoped = scoped_session(crm.db.sessionmaker)
    app.extensions["crm_scoped_session"] = scoped
    admin = Admin(
        app,
        name="crmcore",
        theme=Bootstrap4Theme(swatch="default", fluid=True, base_template="crm/base.html"),
        index_view=CrmDashboard(name=lazy_gettext("Dashboard"), url="/"),
    )
    from crmcore.web.admin.views import core_views

    for view in core_views(scoped):
        admin.add_view(view)
    from crmcore.web.admin.duplicates import DuplicatesView
    from crmcore.web.admin.imports import ImportView
    from crmcore.web.admin.tokens import TokensView
    from crmcore.web.admin.webhooks import WebhooksView

    admin.add_view(ImportView(name=lazy_gettext("Import"), endpoint="imports", category=lazy_gettext("Data")))
    admin.add_view(DuplicatesView(name=lazy_gettext("Duplicates"), endpoint="duplicates",
                                  category=lazy_gettext("Data")))
    admin.add_view(TokensView(name=lazy_gettext("API tokens"), endpoint="tokens", category=lazy_gettext("Data")))
    admin.add_view(WebhooksView(name=lazy_gettext("Webhooks"), endpoint="webhooks", url="/webhooks",
                                category=lazy_gettext("Data")))
    for plugin_name, view in crm.plugins.contributions("admin_views", crm=crm):
        view.plugin = plugin_name
        if getattr(view, "session", False) is None:  # a model view built with session=None gets the request's
            view.session = scoped
        admin.add_view(view)
    app.extensions["crm_admin"] = admin
    return admin
