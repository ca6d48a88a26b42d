"""Flask-Admin set-up: the core's screens plus the views every installed plugin contributes."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from sqlalchemy.orm import scoped_session

from crmcore.runtime import CRM
from crmcore.web.admin.base import DashboardView


def init_admin(app: Flask, crm: CRM) -> Admin:
    scoped = scoped_session(crm.db.sessionmaker)
    app.extensions["crm_scoped_session"] = scoped
    admin = Admin(
        app,
        name="crmcore",
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        index_view=DashboardView(name="Dashboard", url="/", template="admin/dashboard.html"),
    )
    from crmcore.web.admin.views import core_views

    for view in core_views(scoped):
        admin.add_view(view)
    for plugin_name, view in crm.plugins.contributions("admin_views", crm=crm):
        view.plugin = plugin_name
        admin.add_view(view)
    app.extensions["crm_admin"] = admin
    return admin
