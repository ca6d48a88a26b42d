"""What plugins contribute to pages: panels on the customer page and widgets on the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:
    from crmcore.models import Customer, User
    from crmcore.runtime import CRM


@dataclass(frozen=True)
class Panel:
    """A box on the customer page. ``html`` must be safe (render it with a Jinja template, never format strings)."""

    title: str
    html: Markup
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class Widget:
    """A box on the dashboard; ``html`` is safe markup, e.g. a server-side SVG chart."""

    title: str
    html: Markup
    order: int = 100
    plugin: str = ""


def _collect(crm: CRM, hook_name: str, **kwargs: Any) -> list[Any]:
    items = [replace(item, plugin=plugin_name)
             for plugin_name, item in crm.plugins.contributions(hook_name, enabled_only=True, crm=crm, **kwargs)]
    return sorted(items, key=lambda item: (item.order, item.title))


def customer_panels(crm: CRM, customer: Customer, user: User) -> list[Panel]:
    """The panels enabled plugins contribute to a customer page, in display order."""
    return _collect(crm, "customer_panels", customer=customer, user=user)


def dashboard_widgets(crm: CRM, user: User) -> list[Widget]:
    """The widgets enabled plugins contribute to the dashboard, in display order."""
    return _collect(crm, "dashboard_widgets", user=user)
