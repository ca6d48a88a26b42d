"""Contributions to the screens, the API and the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    import click
    from flask import Blueprint
    from flask_admin import BaseView

    from crmcore.models import Customer, User
    from crmcore.runtime import CRM
    from crmcore.web.contributions import Panel, Widget


@hookspec
def admin_views(crm: CRM) -> list[BaseView]:
    """Return the Flask-Admin views this plugin adds. Called once at start-up for every installed plugin.

    The core hides them and answers 404 while the plugin is disabled; subclass
    ``crmcore.web.admin.base.SecureModelView`` or ``SecureView`` so the role rules apply too.
    """


@hookspec
def web_blueprints(crm: CRM) -> list[Blueprint]:
    """Return Flask blueprints with pages of this plugin (public forms, tracking links, ...).

    Called once at start-up; while the plugin is disabled every route of them answers 404. Routes require a
    logged-in user unless the view function is decorated with ``crmcore.web.auth.public``.
    """


@hookspec
def api_blueprints(crm: CRM) -> list[Any]:
    """Return flask-smorest ``Blueprint`` objects to mount under ``/api/v1``.

    Called once at start-up for every installed plugin; while the plugin is disabled its endpoints answer 404.
    They require a token or a session like every endpoint of the API.
    """


@hookspec
def customer_panels(crm: CRM, customer: Customer, user: User) -> list[Panel] | Panel | None:
    """Return panels for the customer page (lead score, ABC class, loyalty balance, ...), or None.

    Called on each view of a customer page, only for enabled plugins. Keep it to one or two queries.
    """


@hookspec
def dashboard_widgets(crm: CRM, user: User) -> list[Widget] | Widget | None:
    """Return widgets for the dashboard, or None. Called on each view of the dashboard, for enabled plugins."""


@hookspec
def cli_commands(crm: CRM) -> list[click.Command]:
    """Return click commands or groups added to ``crm``. They refuse to run while the plugin is disabled."""
