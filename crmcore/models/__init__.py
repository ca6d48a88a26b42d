"""The core's domain model. Plain SQLAlchemy declarative classes: nothing here imports Flask."""

from crmcore.db import Base
from crmcore.models.audit import AuditEntry
from crmcore.models.catalog import Product
from crmcore.models.contacts import Contact, ContactPoint
from crmcore.models.customers import (
    Customer,
    CustomField,
    ImportantDate,
    LifecycleStage,
    SalesChannel,
    Tag,
    customer_tags,
)
from crmcore.models.deals import Deal, DealLine, DealStatus, Pipeline, Stage
from crmcore.models.imports import ImportJob
from crmcore.models.plugins import PluginState, StateCounter
from crmcore.models.tasks import Task
from crmcore.models.touchpoints import Channel, Direction, Touchpoint
from crmcore.models.users import ApiToken, Role, User
from crmcore.models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "CORE_TABLES",
    "ApiToken",
    "AuditEntry",
    "Channel",
    "Contact",
    "ContactPoint",
    "CustomField",
    "Customer",
    "Deal",
    "DealLine",
    "DealStatus",
    "Direction",
    "ImportJob",
    "ImportantDate",
    "LifecycleStage",
    "Pipeline",
    "PluginState",
    "Product",
    "Role",
    "SalesChannel",
    "StateCounter",
    "Stage",
    "Tag",
    "Task",
    "Touchpoint",
    "User",
    "Webhook",
    "WebhookDelivery",
    "customer_tags",
]

#: The tables the core owns; every other table belongs to a plugin.
CORE_TABLES = frozenset(Base.metadata.tables)
