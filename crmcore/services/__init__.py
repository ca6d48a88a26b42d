"""Services: the only write path. Screens, the API, imports and jobs all call these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcore.services.activity import TaskService, TouchpointService
from crmcore.services.base import Transaction, transaction
from crmcore.services.bulk import BulkRecordService
from crmcore.services.catalog import ProductService
from crmcore.services.contacts import ContactService
from crmcore.services.custom_field_definitions import CustomFieldService
from crmcore.services.customers import CustomerService
from crmcore.services.deals import DealService, PipelineService
from crmcore.services.personal_data import PersonalDataService
from crmcore.services.purchases import PurchaseService
from crmcore.services.users import UserService
from crmcore.services.workspace import WorkspaceService

if TYPE_CHECKING:
    from crmcore.runtime import CRM


class Services:
    def __init__(self, crm: CRM) -> None:
        self.customers = CustomerService(crm)
        self.contacts = ContactService(crm)
        self.custom_fields = CustomFieldService(crm)
        self.touchpoints = TouchpointService(crm)
        self.tasks = TaskService(crm)
        self.pipelines = PipelineService(crm)
        self.deals = DealService(crm)
        self.products = ProductService(crm)
        self.users = UserService(crm)
        self.workspace = WorkspaceService(crm)
        self.personal_data = PersonalDataService(crm)
        self.purchases = PurchaseService(crm)
        self.bulk = BulkRecordService(crm)


__all__ = ["Services", "Transaction", "transaction"]
