"""The core's screens."""

from __future__ import annotations

from typing import Any

from flask_admin.babel import gettext

from crmcore.models import Customer, Deal, Task, Touchpoint
from crmcore.web.admin.base import SecureModelView


class CustomerView(SecureModelView):
    column_list = ("name", "email", "phone", "country", "lifecycle_stage", "owner")
    column_searchable_list = ("name", "email", "phone")
    column_filters = ("lifecycle_stage", "country", "industry")
    column_default_sort = ("id", True)
    can_create = False
    can_edit = False
    can_delete = False


class DealView(SecureModelView):
    column_list = ("title", "amount", "currency", "status", "closed_on")
    column_default_sort = ("id", True)
    can_create = False
    can_edit = False
    can_delete = False


class TouchpointView(SecureModelView):
    column_list = ("occurred_at", "channel", "direction", "subject", "outcome")
    column_default_sort = ("occurred_at", True)
    can_create = False
    can_edit = False
    can_delete = False


class TaskView(SecureModelView):
    column_list = ("title", "due_on", "done_at", "assignee")
    column_default_sort = ("due_on", False)
    can_create = False
    can_edit = False
    can_delete = False


def core_views(session: Any) -> list[SecureModelView]:
    return [
        CustomerView(Customer, session, name=gettext("Customers"), endpoint="customers"),
        DealView(Deal, session, name=gettext("Deals"), endpoint="deals"),
        TouchpointView(Touchpoint, session, name=gettext("Touchpoints"), endpoint="touchpoints"),
        TaskView(Task, session, name=gettext("Tasks"), endpoint="tasks"),
    ]
